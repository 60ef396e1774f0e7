import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Custom search attributes registered on the namespace (dev server: `--search-attribute`). */
export const CustomerIdKey = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);
/** Values: the coarse order status (ORDER_STATUSES in src/domain/order/progress.ts). */
export const OrderStatusKey = defineSearchAttributeKey('OrderStatus', SearchAttributeType.KEYWORD);
export const SEARCH_ATTRIBUTES = [CustomerIdKey, OrderStatusKey] as const;
/** CLI flags that register them on a dev server (`--search-attribute CustomerId=Keyword ...`). */
export const SEARCH_ATTRIBUTE_FLAGS = SEARCH_ATTRIBUTES.flatMap((key) => [
  '--search-attribute',
  `${key.name}=${key.type === SearchAttributeType.KEYWORD ? 'Keyword' : key.type}`,
]);
