// libmongoc, MongoDB's C driver, and libbson (Debian: libmongoc-dev). pkg-config (libmongoc-1.0) supplies the
// include paths. Debian's libbson aligns bson_t and bson_iter_t to 128 bytes: Swift code allocates them itself.
#include <mongoc/mongoc.h>
