import PostgresNIO

/// The portal database holds something this version of QueryGate cannot have written: a value outside an enum,
/// an INSERT that returned no row. Thrown instead of guessing (an unknown instance type run as PostgreSQL, an id of
/// 0), so that the fault is seen where it is.
public struct UnexpectedPortalState: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) { self.description = description }
}

extension RawRepresentable where RawValue == String {
    /// The value stored in `column`, or `UnexpectedPortalState` naming the column and the value.
    init(portalValue: String, column: String) throws(UnexpectedPortalState) {
        guard let value = Self(rawValue: portalValue) else {
            throw UnexpectedPortalState("\(column) holds '\(portalValue.prefix(40))', which this version of QueryGate does not know")
        }
        self = value
    }
}

extension PostgresRowSequence {
    /// The id an `INSERT … RETURNING id` returned; throws rather than invent one when it returned nothing.
    func insertedID(into table: String) async throws -> Int {
        guard let id = try await decode(Int.self).first(where: { _ in true }) else {
            throw UnexpectedPortalState("an INSERT into \(table) returned no id")
        }
        return id
    }
}
