/// Names of PostgreSQL's common built-in types by OID (pg_type), for result column headers. Others are shown
/// as `oid <n>`; a catalog look-up per column would cost a round trip for little.
enum PostgresTypeNames {
    static func name(of oid: UInt32) -> String {
        names[oid] ?? "oid \(oid)"
    }

    static let names: [UInt32: String] = [
        16: "boolean", 17: "bytea", 18: "char", 19: "name", 20: "bigint", 21: "smallint", 23: "integer", 25: "text",
        26: "oid", 114: "json", 142: "xml", 650: "cidr", 700: "real", 701: "double precision", 790: "money", 829: "macaddr",
        869: "inet", 1000: "boolean[]", 1005: "smallint[]", 1007: "integer[]", 1009: "text[]", 1015: "varchar[]",
        1016: "bigint[]", 1042: "character", 1043: "character varying", 1082: "date", 1083: "time",
        1114: "timestamp", 1184: "timestamptz", 1186: "interval", 1231: "numeric[]", 1266: "timetz", 1560: "bit",
        1562: "varbit", 1700: "numeric", 2249: "record", 2278: "void", 2950: "uuid", 3802: "jsonb", 3807: "jsonb[]",
    ]
}
