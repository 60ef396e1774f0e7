export * from './shipment';
