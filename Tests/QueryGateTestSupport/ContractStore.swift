/// The two stores a contract suite runs its stories on: PostgreSQL (`PortalStore`, on a test database) and the
/// twins in memory. A suite's `withDoor(_:_:)` builds the same door on either, so one story asserts once for both.
public enum ContractStore: String, CaseIterable, Sendable {
    case postgres, memory
}
