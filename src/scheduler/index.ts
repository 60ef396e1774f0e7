export {
  cancelScheduled,
  claimNext,
  retryDelayMs,
  scheduleMessage,
  scheduledSummary,
  type ClaimOutcome,
  type ScheduledHandler,
  type ScheduledMessage,
  type ScheduledSummary,
} from './scheduled-messages';
export { startScheduler, type Scheduler, type SchedulerOptions, type SchedulerStats } from './poller';
