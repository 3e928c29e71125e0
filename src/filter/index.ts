import type { FilterConfig } from '../config/filter.js';
import type { Filter } from './filter.js';
import { HeadersFilter } from './headers-filter.js';
import { ThrottleFilter } from './throttle-filter.js';

export { runFilters, removeHeader, setHeader, type Filter, type FilterContext } from './filter.js';
export { HeadersFilter } from './headers-filter.js';
export { ThrottleFilter } from './throttle-filter.js';

export function createFilter(config: FilterConfig, position: number): Filter {
  const name = config.name ?? `${config.type}-${position + 1}`;
  switch (config.type) {
    case 'headers':
      return new HeadersFilter(name, config);
    case 'throttle':
      return new ThrottleFilter(name, config);
  }
}
