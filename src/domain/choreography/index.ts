export * from './participation';
export * from './saga';
