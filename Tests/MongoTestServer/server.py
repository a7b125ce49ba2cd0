"""QueryGate's MongoDB wire-protocol *test* server.

A fake standalone mongod for tests that must run the real MongoDB C driver
(libmongoc) when no MongoDB server can be installed.  MockupDB (MongoDB's own
wire-protocol server library for driver tests) parses OP_MSG / OP_QUERY and
sends replies; mongomock (an in-memory pymongo look-alike) stores and queries
the data.  Production QueryGate targets a real MongoDB: this only speaks enough
of the protocol (handshake, CRUD commands, cursors, errors) for tests.

Test hook: a command whose `comment` is "querygate-test-sleep-ms:N" sleeps N ms
before running; with maxTimeMS < N it fails after maxTimeMS with code 50
(MaxTimeMSExpired) like a real server.

Usage: server.py [--port-file PATH] [--port N] [--verbose]
"""
import argparse
import datetime
import itertools
import os
import random
import signal
import sys
import tempfile
import threading

import mockupdb
import mongomock
from bson.int64 import Int64
from mongomock.filtering import filter_applies

MAX_WIRE_VERSION = 17  # MongoDB 6.0
SLEEP_PREFIX = "querygate-test-sleep-ms:"
# Driver envelope fields that are not part of the command itself.
ENVELOPE = {"$db", "lsid", "$clusterTime", "$readPreference", "txnNumber",
            "autocommit", "startTransaction", "apiVersion", "apiStrict",
            "apiDeprecationErrors", "readConcern", "writeConcern", "maxTimeMS",
            "comment", "$query"}
CODE_NAMES = {1: "InternalError", 2: "BadValue", 8: "UnknownError",
              20: "IllegalOperation", 26: "NamespaceNotFound",
              43: "CursorNotFound", 48: "NamespaceExists",
              50: "MaxTimeMSExpired", 59: "CommandNotFound",
              11000: "DuplicateKey"}


class CommandError(Exception):
    def __init__(self, code, errmsg):
        super().__init__(errmsg)
        self.code, self.errmsg = code, errmsg


def error_doc(code, errmsg):
    return {"ok": 0.0, "errmsg": errmsg, "code": code,
            "codeName": CODE_NAMES.get(code, "UnknownError")}


class Backend:
    """Runs commands against mongomock; one lock because mongomock is not
    documented as thread-safe (MockupDB serves each connection in a thread)."""

    def __init__(self, stopping):
        self.client = mongomock.MongoClient()
        self.lock = threading.RLock()
        self.cursors = {}  # cursor id -> (ns, remaining docs)
        self.conn_ids = itertools.count(1)
        self.stopping = stopping

    # --- MockupDB entry point -------------------------------------------
    def handle(self, request):
        if not request.is_command:
            if isinstance(request, mockupdb.OpQuery):  # legacy find: unsupported
                return request.fail("legacy OP_QUERY find is not supported")
            return True  # legacy OP_INSERT/OP_KILL_CURSORS...: no reply
        # MockupDB holds its server-wide lock while a handler runs; release it
        # so a sleeping command doesn't stall other connections (we lock the
        # store ourselves).
        with request.server._unlock():
            cmd = dict(request.doc)
            if "$query" in cmd:  # OP_QUERY command wrapped with $readPreference
                cmd = dict(cmd["$query"])
            try:
                reply = self.run(request.namespace, cmd)
            except CommandError as e:
                reply = error_doc(e.code, e.errmsg)
            except mongomock.OperationFailure as e:
                reply = error_doc(e.code or 2, str(e))
            except NotImplementedError as e:
                reply = error_doc(2, "not supported by the test server: %s" % e)
            except Exception as e:  # never kill the connection thread
                reply = error_doc(8, "%s: %s" % (type(e).__name__, e))
            reply.setdefault("ok", 1.0)
            if isinstance(request, mockupdb.OpMsg) and request.flags & \
                    mockupdb.OP_MSG_FLAGS["moreToCome"]:
                return True  # unacknowledged (w:0) write: no reply allowed
            try:
                request.replies(reply)
            except OSError:
                pass  # client went away (e.g. socketTimeoutMS hit)
        return True

    def run(self, db, cmd):
        name = next(iter(cmd))
        self.sleep_hook(cmd)
        if "txnNumber" in cmd:  # what a real standalone says
            raise CommandError(20, "Transaction numbers are only allowed on a "
                                   "replica set member or mongos")
        handler = getattr(self, "cmd_" + name.lower(), None)
        if handler is None:
            raise CommandError(59, "no such command: '%s'" % name)
        body = {k: v for k, v in cmd.items() if k not in ENVELOPE}
        if name.lower() in ("hello", "ismaster"):
            return handler(name, body)
        with self.lock:
            return handler(db, body)

    def sleep_hook(self, cmd):
        comment = cmd.get("comment")
        if not (isinstance(comment, str) and comment.startswith(SLEEP_PREFIX)):
            return
        ms = int(comment[len(SLEEP_PREFIX):])
        max_ms = int(cmd.get("maxTimeMS") or 0)
        self.stopping.wait(min(ms, max_ms or ms) / 1000.0)
        if max_ms and ms > max_ms:
            raise CommandError(50, "operation exceeded time limit")

    # --- helpers ---------------------------------------------------------
    def coll(self, db, name):
        if not isinstance(name, str) or not name:
            raise CommandError(2, "collection name must be a non-empty string")
        return self.client[db][name]

    def cursor_reply(self, ns, docs, batch_size, single_batch=False):
        # A real server keeps _id first (mongomock's $group/projection don't).
        docs = [dict(_id=d.pop("_id"), **d) if "_id" in d else d for d in docs]
        n = 101 if batch_size is None else int(batch_size)
        first, rest = docs[:n], docs[n:]
        cid = 0
        if rest and not single_batch:
            cid = random.getrandbits(62) + 1
            self.cursors[cid] = (ns, rest)
        return {"cursor": {"firstBatch": first, "id": Int64(cid), "ns": ns}}

    @staticmethod
    def write_error(index, exc, coll, doc=None):
        code = getattr(exc, "code", None) or 2
        msg = str(exc)
        if code == 11000:  # mongomock only says "E11000 Duplicate Key Error"
            msg = "E11000 duplicate key error collection: %s" % coll.full_name
            if doc is not None and coll.find_one({"_id": doc.get("_id")}):
                v = doc["_id"]
                v = '"%s"' % v if isinstance(v, str) else repr(v)
                msg += " index: _id_ dup key: { _id: %s }" % v
        return {"index": index, "code": code, "errmsg": msg}

    # --- handshake & admin ----------------------------------------------
    def cmd_hello(self, name, cmd):
        doc = {"isWritablePrimary" if name == "hello" else "ismaster": True}
        if cmd.get("helloOk"):
            doc["helloOk"] = True
        # No topologyVersion: keeps libmongoc on polling (not streaming) hello.
        doc.update(maxBsonObjectSize=16 * 1024 * 1024,
                   maxMessageSizeBytes=48000000, maxWriteBatchSize=100000,
                   localTime=datetime.datetime.now(datetime.timezone.utc),
                   logicalSessionTimeoutMinutes=30,
                   connectionId=next(self.conn_ids), minWireVersion=0,
                   maxWireVersion=MAX_WIRE_VERSION, readOnly=False, ok=1.0)
        return doc

    cmd_ismaster = cmd_hello

    def cmd_ping(self, db, cmd):
        return {}

    cmd_endsessions = cmd_ping

    def cmd_buildinfo(self, db, cmd):
        return {"version": "6.0.0", "versionArray": [6, 0, 0, 0],
                "gitVersion": "querygate-test-server", "bits": 64,
                "maxBsonObjectSize": 16 * 1024 * 1024}

    def cmd_listdatabases(self, db, cmd):
        # As mongod: an admin command; nameOnly leaves out the sizes (and
        # totalSize). authorizedDatabases changes nothing here: the test
        # server has no users, so every database is authorized.
        if db != "admin":
            raise CommandError(13, "listDatabases may only be run against "
                                   "the admin database.")
        names = sorted(self.client.list_database_names())
        if cmd.get("nameOnly"):
            return {"databases": [{"name": n} for n in names]}
        return {"databases": [{"name": n, "sizeOnDisk": 0, "empty": False}
                              for n in names], "totalSize": 0}

    def cmd_listcollections(self, db, cmd):
        docs = [{"name": n, "type": "collection", "options": {},
                 "info": {"readOnly": False}}
                for n in self.client[db].list_collection_names()]
        docs = [d for d in docs if filter_applies(cmd.get("filter") or {}, d)]
        return self.cursor_reply(db + ".$cmd.listCollections", docs,
                                 (cmd.get("cursor") or {}).get("batchSize"))

    def cmd_create(self, db, cmd):
        try:
            self.client[db].create_collection(cmd["create"])
        except mongomock.CollectionInvalid as e:
            raise CommandError(48, str(e))
        return {}

    def cmd_drop(self, db, cmd):
        self.client[db].drop_collection(cmd["drop"])
        return {"ns": "%s.%s" % (db, cmd["drop"])}

    def cmd_dropdatabase(self, db, cmd):
        self.client.drop_database(db)
        return {"dropped": db}

    def cmd_createindexes(self, db, cmd):
        coll = self.coll(db, cmd["createIndexes"])
        before = len(coll.index_information())
        for ix in cmd.get("indexes", []):
            coll.create_index(list(ix["key"].items()), name=ix.get("name"),
                              unique=bool(ix.get("unique", False)))
        return {"numIndexesBefore": before,
                "numIndexesAfter": len(coll.index_information()),
                "createdCollectionAutomatically": False}

    # --- reads & cursors -------------------------------------------------
    def cmd_find(self, db, cmd):
        name = cmd["find"]
        limit, single = int(cmd.get("limit", 0)), bool(cmd.get("singleBatch"))
        if limit < 0:
            limit, single = -limit, True
        sort = list((cmd.get("sort") or {}).items()) or None
        docs = list(self.coll(db, name).find(
            cmd.get("filter") or {}, cmd.get("projection") or None,
            skip=int(cmd.get("skip", 0)), limit=limit, sort=sort))
        return self.cursor_reply("%s.%s" % (db, name), docs,
                                 cmd.get("batchSize"), single)

    def cmd_aggregate(self, db, cmd):
        name = cmd["aggregate"]
        if not isinstance(name, str):
            raise CommandError(2, "database-level aggregate is not supported")
        docs = list(self.coll(db, name).aggregate(list(cmd.get("pipeline", []))))
        return self.cursor_reply("%s.%s" % (db, name), docs,
                                 (cmd.get("cursor") or {}).get("batchSize"))

    def cmd_getmore(self, db, cmd):
        cid = int(cmd["getMore"])
        if cid not in self.cursors:
            raise CommandError(43, "cursor id %d not found" % cid)
        ns, docs = self.cursors.pop(cid)
        n = int(cmd.get("batchSize") or 0) or len(docs)
        batch, rest = docs[:n], docs[n:]
        if rest:
            self.cursors[cid] = (ns, rest)
        return {"cursor": {"nextBatch": batch, "id": Int64(cid if rest else 0),
                           "ns": ns}}

    def cmd_killcursors(self, db, cmd):
        killed, missing = [], []
        for cid in cmd.get("cursors", []):
            (killed if self.cursors.pop(int(cid), None) else missing).append(cid)
        return {"cursorsKilled": killed, "cursorsNotFound": missing,
                "cursorsAlive": [], "cursorsUnknown": []}

    def cmd_count(self, db, cmd):
        kw = {"skip": int(cmd.get("skip", 0))}
        if cmd.get("limit"):
            kw["limit"] = abs(int(cmd["limit"]))
        n = self.coll(db, cmd["count"]).count_documents(cmd.get("query") or {},
                                                        **kw)
        return {"n": n}

    def cmd_distinct(self, db, cmd):
        values = self.coll(db, cmd["distinct"]).distinct(
            cmd["key"], cmd.get("query") or None)
        try:  # mongod returns them ordered; mongomock's order is random
            values = sorted(values)
        except TypeError:
            pass  # mixed types: leave mongomock's order
        return {"values": values}

    # --- writes (payload type-1 sections arrive merged into the command) --
    def cmd_insert(self, db, cmd):
        coll, ordered = self.coll(db, cmd["insert"]), cmd.get("ordered", True)
        n, errors = 0, []
        for i, doc in enumerate(cmd.get("documents", [])):
            try:
                coll.insert_one(doc)
                n += 1
            except mongomock.OperationFailure as e:
                errors.append(self.write_error(i, e, coll, doc))
                if ordered:
                    break
        return dict({"n": n}, **({"writeErrors": errors} if errors else {}))

    def cmd_update(self, db, cmd):
        coll, ordered = self.coll(db, cmd["update"]), cmd.get("ordered", True)
        n = modified = 0
        upserted, errors = [], []
        for i, st in enumerate(cmd.get("updates", [])):
            q, u, multi = st.get("q") or {}, st.get("u") or {}, st.get("multi")
            kw = {"upsert": bool(st.get("upsert"))}
            if st.get("arrayFilters"):
                kw["array_filters"] = st["arrayFilters"]
            try:
                if isinstance(u, list) or any(k.startswith("$") for k in u):
                    fn = coll.update_many if multi else coll.update_one
                    res = fn(q, u, **kw)
                else:
                    kw.pop("array_filters", None)
                    res = coll.replace_one(q, u, **kw)
            except mongomock.OperationFailure as e:
                errors.append(self.write_error(i, e, coll))
                if ordered:
                    break
                continue
            n += res.matched_count
            modified += res.modified_count
            if res.upserted_id is not None:
                n += 1
                upserted.append({"index": i, "_id": res.upserted_id})
        reply = {"n": n, "nModified": modified}
        if upserted:
            reply["upserted"] = upserted
        if errors:
            reply["writeErrors"] = errors
        return reply

    def cmd_delete(self, db, cmd):
        coll, n = self.coll(db, cmd["delete"]), 0
        for st in cmd.get("deletes", []):
            fn = coll.delete_one if int(st.get("limit", 0)) == 1 else coll.delete_many
            n += fn(st.get("q") or {}).deleted_count
        return {"n": n}


def write_port_file(path, port):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)),
                               prefix=".port-")
    with os.fdopen(fd, "w") as f:
        f.write("%d\n" % port)
    os.replace(tmp, path)  # atomic: readers never see a half-written file


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0, help="0 = pick a free port")
    ap.add_argument("--port-file", help="write the chosen port here")
    ap.add_argument("--verbose", action="store_true", help="log every request")
    args = ap.parse_args()

    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())

    server = mockupdb.MockupDB(port=args.port, verbose=args.verbose)
    server.autoresponds(Backend(stopping).handle)
    port = server.run()
    host = server._listening_sock.getsockname()[0]
    assert host == "127.0.0.1", host  # MockupDB binds "localhost" over IPv4
    if args.port_file:
        write_port_file(args.port_file, port)
    print("querygate-mongo-test-server ready on %s:%d" % (host, port), flush=True)
    while not stopping.wait(0.5):
        pass
    server.stop()
    if args.port_file and os.path.exists(args.port_file):
        os.unlink(args.port_file)
    print("querygate-mongo-test-server stopped", flush=True)


if __name__ == "__main__":
    sys.exit(main())
