import Foundation
import Hummingbird
import NIOCore
import QueryGateCore

/// The API's JSON in and out, with the context's `requestDecoder` and `responseEncoder`.
extension PortalRequestContext {
    /// The API's door for bodies: JSON only (415 otherwise), at most `maxUploadSize` (413), decodable as `T`
    /// (400 naming the field), and no text PostgreSQL refuses anywhere in it (400 naming the field, `InputText`).
    ///
    /// Not Hummingbird's `request.decode(as:context:)`, which answers every decoding error with the same 400.
    func decode<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T {
        try Self.requireJSON(request.headers[.contentType])
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maxUploadSize)
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, "payload_too_large", "the body is over \(maxUploadSize / 1024) KiB; a request's query is at most \(NewRequest.maximumQueryLength) characters")
        }
        let data = Data(body.readableBytesView)
        do {
            let decoder = requestDecoder
            if let path = try decoder.decode(UnstorableTextProbe.self, from: data).path {
                throw InputText.refusal(field: path.isEmpty ? "body" : path.joined(separator: "."))
            }
            return try decoder.decode(T.self, from: data)
        } catch let error as DecodingError {
            throw APIError.badRequest("the body is not the JSON this endpoint takes (\(Self.describe(error)))", field: Self.field(of: error))
        }
    }

    /// `application/json`, with no parameter but `charset=utf-8` (JSON is UTF-8; RFC 8259).
    private static func requireJSON(_ contentType: String?) throws(APIError) {
        let parts = (contentType ?? "").split(separator: ";").map { $0.trimmingSpaces().lowercased().replacingOccurrences(of: " ", with: "") }
        guard parts.first == "application/json", parts.dropFirst().allSatisfy({ $0 == "charset=utf-8" || $0 == "charset=\"utf-8\"" }) else {
            throw APIError.unsupportedMediaType
        }
    }

    /// `value` as the API's JSON (`responseEncoder`), with the status and headers given.
    func json(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: try responseEncoder.encode(value))))
    }

    private static func field(of error: DecodingError) -> String? {
        switch error {
        case .keyNotFound(let key, _): key.stringValue
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context): context.codingPath.last?.stringValue
        @unknown default: nil
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, _): "\(key.stringValue) is missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context): "\(context.codingPath.map(\.stringValue).joined(separator: ".")) has the wrong type"
        case .dataCorrupted: "it is not valid JSON"
        @unknown default: "it could not be read"
        }
    }
}
