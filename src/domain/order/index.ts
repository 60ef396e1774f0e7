export * from './order';
export * from './progress';
export * from './shape';
