import Foundation
import QueryGateCore

/// Walks any JSON document and finds the first string (value or key) PostgreSQL could not store, with the keys
/// leading to it: one check for every body, whatever type it is then decoded as (`PortalRequestContext.decode`).
struct UnstorableTextProbe: Decodable {
    /// Nil when every string is storable; array positions are written as their index.
    let path: [String]?

    private struct AnyKey: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { stringValue = String(intValue) }
    }

    init(from decoder: any Decoder) throws {
        let here = decoder.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }
        if let object = try? decoder.container(keyedBy: AnyKey.self) {
            for key in object.allKeys {
                guard InputText.isStorable(key.stringValue) else {
                    path = here + [key.stringValue]
                    return
                }
                if let found = try object.decode(UnstorableTextProbe.self, forKey: key).path {
                    path = found
                    return
                }
            }
            path = nil
        } else if var array = try? decoder.unkeyedContainer() {
            while !array.isAtEnd {
                if let found = try array.decode(UnstorableTextProbe.self).path {
                    path = found
                    return
                }
            }
            path = nil
        } else {
            let value = try decoder.singleValueContainer()
            if let text = try? value.decode(String.self), !InputText.isStorable(text) { path = here } else { path = nil }
        }
    }
}
