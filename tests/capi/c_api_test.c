/* Exercises capi/aisle.h from plain C99. */
#include <stdio.h>
#include <string.h>

#include "aisle.h"

static int failures = 0;
#define CHECK(cond)                                                  \
  do {                                                               \
    if (!(cond)) {                                                   \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                    \
    }                                                                \
  } while (0)

int main(void) {
  CHECK(aisle_abi_version() == AISLE_ABI_VERSION);
  CHECK(aisle_version() != NULL && strlen(aisle_version()) >= 5);
  CHECK(strcmp(aisle_last_error_message(), "") == 0);
  CHECK(strcmp(aisle_status_name(AISLE_OK), "OK") == 0);
  CHECK(strcmp(aisle_status_name(AISLE_INVALID_ARGUMENT), "INVALID_ARGUMENT") == 0);
  CHECK(strcmp(aisle_status_name(12345), "UNRECOGNIZED") == 0);
  if (failures == 0) printf("c_api_test: all checks passed\n");
  return failures == 0 ? 0 : 1;
}
