export {
  createSanggarClient,
  memoryTokenStore,
  newIdempotencyKey,
  ok,
  type Sanggar,
  type SanggarOptions,
  type TokenPair,
  type TokenStore,
} from "./client.js";
export { eachItem, type ItemOf, type PagedPath, type PageParams } from "./pages.js";
export { SanggarError, type FieldError, type Problem } from "./problem.js";
export type { components, operations, paths } from "./schema.js";
