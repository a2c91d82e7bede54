// Typed client of the HireMeBahamas REST API. The types in schema.d.ts are
// generated from the API's OpenAPI document (make generate); this file is
// the only hand-written part.
import createFetchClient, { type Client, type ClientOptions } from "openapi-fetch";

import type { components, operations, paths } from "./schema";

export type { components, operations, paths };

/** The API's messages and enums, by name: `Schemas["Job"]`. */
export type Schemas = components["schemas"];

/** The body of every error response: `{ error: { code, status, reason, message, request_id } }`. */
export type ApiError = components["schemas"]["Error"];

/** A client of the API. */
export type ApiClient = Client<paths>;

/**
 * createClient returns a client of the API at baseUrl, such as
 * "https://api.hiremebahamas.com" (no trailing /api/v1: paths carry it).
 *
 * Requests include cookies, so that the HttpOnly refresh-token cookie reaches
 * /api/v1/auth/refresh and /api/v1/auth/logout from another origin too (from
 * another site, only if the API sets REFRESH_COOKIE_SAMESITE=none). Send
 * the access token with `headers: { Authorization: `Bearer ${token}` }`, per
 * call or in options.
 */
export function createClient(
  baseUrl: string,
  options: Omit<ClientOptions, "baseUrl" | "credentials"> = {},
): ApiClient {
  return createFetchClient<paths>({ ...options, baseUrl, credentials: "include" });
}
