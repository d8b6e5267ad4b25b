export { Connection, LoadError, type ConnectionOptions } from './client/connection.ts';
export { chooseMechanism, scramClient, plainClient, type Mechanism } from './client/sasl.ts';
export { DEFAULTS, parseConfig, formatPattern, type LoadConfig, type ScenarioName } from './run/config.ts';
export { runLoad, type Progress, type RunHooks } from './run/coordinator.ts';
export type { LoadResult, SeriesPoint } from './run/result.ts';
export { Histogram, exactQuantile } from './stats/histogram.ts';
export { formatTable } from './report/table.ts';
export { renderHtml } from './report/html.ts';
export { writeReports } from './report/write.ts';
