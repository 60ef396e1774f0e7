/** The orders service's read models: projections, their queries and the list cursor. */
export * from './cursor';
export * from './progress';
export * from './projections';
export * from './queries';
