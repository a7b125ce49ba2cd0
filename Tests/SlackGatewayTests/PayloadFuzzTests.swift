import Foundation
import Hummingbird
import QueryGateCore
import QueryGateTestSupport
import SlackGateway
import Testing

/// Seeded, time-bounded fuzzing of the Slack endpoints with signed requests through the real routes: form bodies
/// with hostile fields, interaction payloads with wrong types, huge and impossible numbers, deep nesting,
/// invalid UTF-8, NUL and huge strings. Whatever arrives, nothing crashes and nothing answers 5xx.
@Suite("Fuzzing the Slack payload decoders")
struct PayloadFuzzTests {
    typealias People = AppHarness.People

    @Test(.timeLimit(.minutes(10)))
    func signedHostilePayloadsNeverCrashOrAnswer5xx() async throws {
        try await AppHarness.run { slack in
            var fuzz = Fuzz("slack payloads")
            let seed = fuzz.seed
            let id = try await slack.submit()
            let deadline = ContinuousClock.now + fuzz.duration
            var sent = 0
            while ContinuousClock.now < deadline || sent < Fuzz.minimumInputs {
                let (path, body) = Self.request(&fuzz, requestID: id)
                let response = try await slack.post(path, body: body)
                sent += 1
                #expect(response.status.code < 500, "seed \(seed), request \(sent): \(path) \(body.prefix(300)) → \(response.status)")
                if response.status.code >= 500 { break }
            }
            print("fuzz slack payloads: \(sent) signed requests, seed \(seed)")
            // Still answering, and still right.
            #expect(try await slack.reply("status \(id)", as: People.dev).contains("#\(id)"))
        }
    }

    /// One signed request: a slash command, an interaction, or an event.
    static func request(_ fuzz: inout Fuzz, requestID: Int) -> (String, String) {
        switch fuzz.below(10) {
        case 0, 1, 2:
            var fields: [(String, String)] = [
                ("user_id", fuzz.chance(70) ? fuzz.pick([People.dev, People.maria, People.stranger]) : fuzz.hostileString()),
                ("channel_id", fuzz.chance(80) ? "C0DEV00001" : fuzz.hostileString()),
                ("text", fuzz.chance(50) ? fuzz.pick(["status \(requestID)", "cancel \(requestID)", "list", "help"]) + fuzz.hostileString()
                    : "pg-main/customer_db \(fuzz.hostileString()) ```\(fuzz.hostileString())```"),
                ("trigger_id", fuzz.hostileString()),
            ]
            if fuzz.chance(30) { fields.append((fuzz.hostileString(), fuzz.hostileString())) }
            if fuzz.chance(20) { fields.shuffle() }
            var body = fields.map { "\(SlackSigner.formEncode($0.0))=\(SlackSigner.formEncode($0.1))" }.joined(separator: "&")
            if fuzz.chance(15) { body += "&text=" + Fuzz.formEncode(fuzz.hostileJSONText()) }
            return ("/slack/commands", body)
        case 3:
            return ("/slack/interactions", "payload=" + Fuzz.formEncode(fuzz.hostileJSONText()))
        case 4:
            return ("/slack/events", String(decoding: fuzz.hostileJSONText(), as: UTF8.self))
        default:
            return ("/slack/interactions", SlackSigner.interactionBody(interaction(&fuzz, requestID: requestID)))
        }
    }

    /// A well-formed interaction of each kind, with fields swapped for hostile values.
    static func interaction(_ fuzz: inout Fuzz, requestID: Int) -> JSONValue {
        let user = fuzz.pick([People.dev, People.maria, People.ada, People.sam, People.olga, People.stranger])
        let value: JSONValue = fuzz.chance(60) ? .string(fuzz.pick([String(requestID), "0", "-1", "1e300"])) : fuzz.hostileJSON()
        let metadata: JSONValue = ["request_id": fuzz.chance(50) ? .number(Double(requestID)) : fuzz.hostileJSON(), "channel_id": "C0PAYMENTS"]
        var payload: [String: JSONValue]
        switch fuzz.below(4) {
        case 0:
            payload = [
                "type": "block_actions", "user": ["id": .string(user)], "trigger_id": "1.2.3", "channel": ["id": "C0PAYMENTS"],
                "actions": [["action_id": .string(fuzz.pick(["request.approve", "request.reject"])), "value": value, "type": "button"]],
            ]
        case 1:
            payload = [
                "type": "view_submission", "user": ["id": .string(user)],
                "view": ["callback_id": "request.reject", "private_metadata": .string(String(decoding: metadata.encoded(), as: UTF8.self)),
                         "state": ["values": ["rejection": ["rejection_input": ["value": fuzz.hostileJSON()]]]]],
            ]
        case 2:
            payload = [
                "type": "view_submission", "user": ["id": .string(user)],
                "view": ["callback_id": "request.new", "private_metadata": fuzz.hostileJSON(), "state": ["values": [
                    "target": ["target_select": ["selected_option": ["value": fuzz.chance(50) ? "pg-main/customer_db" : fuzz.hostileJSON()]]],
                    "type": ["type_select": ["selected_option": ["value": fuzz.chance(50) ? "query" : fuzz.hostileJSON()]]],
                    "query": ["query_input": ["value": fuzz.chance(30) ? "SELECT 1" : fuzz.hostileJSON()]],
                    "reason": ["reason_input": ["value": fuzz.hostileJSON()]],
                ]]],
            ]
        default:
            payload = ["type": "block_suggestion", "user": ["id": .string(user)], "action_id": "target_select", "value": fuzz.hostileJSON()]
        }
        // Now and then, a field of the wrong type or one that should not be there at all.
        if fuzz.chance(30) { payload[fuzz.pick(Array(payload.keys))] = fuzz.hostileJSON() }
        if fuzz.chance(10) { payload[fuzz.hostileString()] = fuzz.hostileJSON() }
        return .object(payload)
    }
}
