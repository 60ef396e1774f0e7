/**
 * The bus's topics: one `<service>.events` topic per service, keyed by aggregate (stream) id so that one
 * aggregate's events stay in one partition, in the order they were published.
 */
import { TASK_QUEUES, type ServiceName } from '../workflows/contracts';

export const BUS_SERVICES = Object.keys(TASK_QUEUES) as ServiceName[];

export type EventsTopic = `${ServiceName}.events`;

export const eventsTopic = (service: ServiceName): EventsTopic => `${service}.events`;

/** Every topic the project creates, in service order. */
export const EVENT_TOPICS: readonly EventsTopic[] = BUS_SERVICES.map(eventsTopic);
