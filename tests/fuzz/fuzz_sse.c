/* Fuzz target: a provider's streamed answer (untrusted bytes of a 2xx text/event-stream
 * body) through the OpenAI client's SSE reader: line splitting (LF and CRLF, lines cut
 * across packets), "data:" joining, comments and other fields, the JSON of each event,
 * error events and the end-of-stream verdict. The first byte picks the packet size
 * (1..256 bytes), so lines and UTF-8 characters are cut at every offset. */
#include "llm/provider.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    size_t piece = (size_t)data[0] + 1;
    char *content = NULL;
    enum llm_status s = openai_stream_replay((const char *)data + 1, size - 1, piece, &content);
    if ((s == LLM_OK) != (content != NULL)) abort(); /* content exactly when it succeeded */
    free(content);
    return 0;
}
