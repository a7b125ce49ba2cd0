// libpq, PostgreSQL's C client (Debian: libpq-dev). Included by path so that no pkg-config is needed:
// libpq-fe.h finds its own companions beside it.
#include <postgresql/libpq-fe.h>
