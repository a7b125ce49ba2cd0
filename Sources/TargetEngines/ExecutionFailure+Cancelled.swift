import QueryGateCore

extension ExecutionFailure {
    /// What `PostgresEngine.execute` and `MongoEngine.execute` return when the task running them was cancelled (the
    /// executor lost its lease) before anything of the request was applied: PostgreSQL cancelled the statement and
    /// rolled back; a MongoDB script stopped before its first write. Compare with `==`.
    public static let cancelled = ExecutionFailure(
        message: "cancelled: QueryGate stopped the execution before it finished, and nothing of it was applied")
}
