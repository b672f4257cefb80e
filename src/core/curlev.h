/* curlev: libcurl's multi socket interface driven by a libevent loop.
 *
 * libcurl says which sockets to watch and when to wake it; libevent says when they are
 * ready. curlev owns the multi handle, one event per socket curl watches and curl's
 * single timer, and hands each finished transfer to the owner's callback. The owner adds
 * and removes easy handles on curlev_multi() itself. Used by the provider client
 * (llm/openai.c) and the alert webhook (api/alerts.c).
 *
 * Neither curl callback calls libcurl back (curl forbids the re-entry): a "now" timeout
 * is a 0 ms timer event, and finished transfers are collected only after
 * curl_multi_socket_action has returned. */
#ifndef CORE_CURLEV_H
#define CORE_CURLEV_H

#include <curl/curl.h>

struct curlev;
struct event_base;

/* A transfer finished with result. easy is already removed from the multi handle and is
 * the callee's again (to reuse or clean up). */
typedef void (*curlev_done_fn)(CURL *easy, CURLcode result, void *data);

/* who names the owner in warnings (the provider's name, "alerts"). NULL when libcurl or
 * libevent cannot allocate. */
struct curlev *curlev_new(struct event_base *base, const char *who, curlev_done_fn done,
                          void *data);
CURLM *curlev_multi(const struct curlev *cv);
/* Cleans up the multi handle (curl's callbacks may still run inside it), then every event
 * curl left behind. Remove the transfers you still hold first. */
void curlev_free(struct curlev *cv);

#endif
