/** Type helpers that turn the variables table's dotted `key`s into the nested `Config` type (./config.ts). */

/** `{ a: { b: V } }` for the path `a.b`. */
export type AtPath<P extends string, V> = P extends `${infer Head}.${infer Rest}`
  ? { [_ in Head]: AtPath<Rest, V> }
  : { [_ in P]: V };
/** `A & B` for the union `A | B`. */
export type Intersect<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void
  ? I
  : never;
/** The same type, its intersections merged into one object type (readable in editors and errors). */
export type Flatten<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]: Flatten<T[K]> }
    : T;
