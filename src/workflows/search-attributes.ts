import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Custom search attributes registered on the namespace (dev server: `--search-attribute`). */
export const CustomerIdKey = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);
export const OrderStatusKey = defineSearchAttributeKey('OrderStatus', SearchAttributeType.KEYWORD);
export const SEARCH_ATTRIBUTES = [CustomerIdKey, OrderStatusKey] as const;
/** CLI flags that register them on a dev server. */
export const SEARCH_ATTRIBUTE_FLAGS = [
  '--search-attribute',
  'CustomerId=Keyword',
  '--search-attribute',
  'OrderStatus=Keyword',
];
