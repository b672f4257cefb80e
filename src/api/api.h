/* api: the HTTP routes of CONTRACT.md over the engine. Authentication (candidate bearer
 * tokens, the admin token from the environment) and the mapping of engine errors to
 * status codes and stable error codes live here, nowhere else. */
#ifndef API_API_H
#define API_API_H

#include "core/config.h"
#include "engine/engine.h"
#include "http/http.h"

struct api;

struct api *api_new(const struct config *cfg, struct engine *engine);
void api_free(struct api *a);
/* The http_handler_fn for http_server_new(). */
void api_handle(struct http_req *r, void *data);

#endif
