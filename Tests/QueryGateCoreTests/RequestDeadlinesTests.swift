import Foundation
import QueryGateCore
import Testing

/// When a request expires and when its approvers are reminded, as pure rules (the stores' sweeps are
/// `ExpirySweepContractTests`').
@Suite("Request deadlines")
struct RequestDeadlinesTests {
    static let made = Date(timeIntervalSince1970: 1_700_000_000)
    static let day = Duration.seconds(86_400)

    @Test func aPodsOwnTimeToLiveWinsOverTheDefault() {
        #expect(RequestDeadlines.timeToLive(podSeconds: 7200, default: Self.day) == .seconds(7200))
        #expect(RequestDeadlines.timeToLive(podSeconds: nil, default: Self.day) == Self.day)
        #expect(RequestDeadlines.timeToLive(podSeconds: nil, default: nil) == nil)
    }

    @Test func aPodsTimeToLiveIsFromAMinuteToNinetyDays() throws {
        #expect(try RequestDeadlines.podTimeToLiveSeconds(nil) == nil)
        #expect(try RequestDeadlines.podTimeToLiveSeconds(.seconds(60)) == 60)
        #expect(try RequestDeadlines.podTimeToLiveSeconds(.seconds(90 * 86_400)) == 90 * 86_400)
        for outside in [Duration.seconds(59), .milliseconds(59_999), .seconds(90 * 86_400 + 1), .zero, .seconds(-60)] {
            #expect(throws: ValidationError(field: "request-ttl", "a request's time to live is from 1m to 90d")) {
                try RequestDeadlines.podTimeToLiveSeconds(outside)
            }
        }
    }

    @Test func pendingCountsFromItsMakingApprovedFromItsApprovalAndNothingElseExpires() {
        let approved = Self.made.addingTimeInterval(3600)
        #expect(RequestDeadlines.expiresAt(.pending, createdAt: Self.made, approvedAt: nil, timeToLive: Self.day)
            == Self.made.addingTimeInterval(86_400))
        #expect(RequestDeadlines.expiresAt(.approved, createdAt: Self.made, approvedAt: approved, timeToLive: Self.day)
            == approved.addingTimeInterval(86_400))
        #expect(RequestDeadlines.expiresAt(.approved, createdAt: Self.made, approvedAt: nil, timeToLive: Self.day)
            == Self.made.addingTimeInterval(86_400), "an approval without its time counts from the making")
        for status in RequestStatus.allCases where ![.pending, .approved].contains(status) {
            #expect(RequestDeadlines.expiresAt(status, createdAt: Self.made, approvedAt: approved, timeToLive: Self.day) == nil, "\(status)")
        }
        #expect(RequestDeadlines.expiresAt(.pending, createdAt: Self.made, approvedAt: nil, timeToLive: nil) == nil)
    }

    @Test func aReminderIsDueFromItsShareOfTheTimeToLiveUntilTheExpiry() {
        func due(after hours: Double, percent: Int = 50, ttl: Duration? = Self.day) -> Bool {
            RequestDeadlines.isReminderDue(createdAt: Self.made, timeToLive: ttl, percent: percent, now: Self.made.addingTimeInterval(hours * 3600))
        }
        #expect(RequestDeadlines.reminderAt(createdAt: Self.made, timeToLive: Self.day, percent: 25) == Self.made.addingTimeInterval(21_600))
        #expect(!due(after: 11.9))
        #expect(due(after: 12.1))
        #expect(due(after: 23.9))
        #expect(!due(after: 24.1), "overdue: the expiry's, not a reminder's")
        #expect(!due(after: 12.1, percent: 0) && !due(after: 12.1, percent: 100), "outside 1...99: reminders off")
        #expect(!due(after: 12.1, ttl: nil))
    }
}
