import QueryGateCore
import Testing

@Suite("Sync plan")
struct SyncPlanTests {
    private func row(_ name: String, _ source: DatabaseSource = .synced, _ state: RegisteredDatabase.State = .active) -> RegisteredDatabase {
        RegisteredDatabase(name: name, source: source, state: state)
    }

    @Test func newNamesAreAddedAndKnownOnesSeen() {
        let plan = SyncPlan(registered: [row("orders")], listed: ["orders", "billing", "audit"], blacklisted: [])
        #expect(plan.added == ["audit", "billing"])
        #expect(plan.seen == ["orders"])
        #expect(plan.found == 3)
        #expect(plan.reactivated.isEmpty && plan.markedMissing.isEmpty && plan.skipped.isEmpty)
    }

    @Test func aSyncedNameGoneFromTheServerIsMarkedMissingOnceAndComesBack() {
        let gone = SyncPlan(registered: [row("orders"), row("old")], listed: ["orders"], blacklisted: [])
        #expect(gone.markedMissing == ["old"])
        let stillGone = SyncPlan(registered: [row("orders"), row("old", .synced, .missing)], listed: ["orders"], blacklisted: [])
        #expect(stillGone.markedMissing.isEmpty, "already missing: nothing to change")
        let back = SyncPlan(registered: [row("old", .synced, .missing)], listed: ["old"], blacklisted: [])
        #expect(back.seen == ["old"] && back.reactivated == ["old"] && back.added.isEmpty)
    }

    @Test func manualRowsAreNeverTouched() {
        let plan = SyncPlan(
            registered: [row("typed", .manual), row("typed_gone", .manual), row("typed_hidden", .manual, .disabled)],
            listed: ["typed", "typed_hidden", "postgres"], blacklisted: ["typed", "postgres"])
        #expect(plan.added.isEmpty && plan.seen.isEmpty && plan.reactivated.isEmpty && plan.markedMissing.isEmpty)
        #expect(plan.skipped == ["postgres"])
    }

    @Test func aDisabledRowStaysDisabledWhetherListedOrNot() {
        let listed = SyncPlan(registered: [row("quiet", .synced, .disabled)], listed: ["quiet"], blacklisted: [])
        #expect(listed.seen == ["quiet"] && listed.reactivated.isEmpty)
        let unlisted = SyncPlan(registered: [row("quiet", .synced, .disabled)], listed: [], blacklisted: [])
        #expect(unlisted.markedMissing.isEmpty)
    }

    @Test func theBlacklistSkipsNewNamesAndMarksSyncedOnesMissing() {
        let plan = SyncPlan(registered: [row("tmp_1")], listed: ["tmp_1", "tmp_2", "keep"], blacklisted: ["tmp_1", "tmp_2"])
        #expect(plan.added == ["keep"])
        #expect(plan.markedMissing == ["tmp_1"])
        #expect(plan.skipped == ["tmp_2"])
        #expect(plan.found == 1, "blacklisted names are not counted as found")
    }

    @Test func namesQueryGateCannotAddressAreSkippedAndDuplicatesCountOnce() {
        let plan = SyncPlan(registered: [], listed: ["has space", "a/b", "ok", "ok"], blacklisted: [])
        #expect(plan.added == ["ok"])
        #expect(plan.skipped == ["a/b", "has space"])
    }

    @Test func stateFollowsTheTwoColumns() {
        #expect(RegisteredDatabase.state(isActive: true, isMissing: false) == .active)
        #expect(RegisteredDatabase.state(isActive: false, isMissing: false) == .disabled)
        #expect(RegisteredDatabase.state(isActive: false, isMissing: true) == .missing)
    }

    @Test func onlyAnActiveInstanceIsSynced() throws {
        let name = try InstanceName("pg-main")
        #expect(try SyncRules.syncable((name: "pg-main", active: true), named: name, isActive: { $0.active }).name == "pg-main")
        #expect(throws: ValidationError.noInstance(named: name)) {
            try SyncRules.syncable(nil as (name: String, active: Bool)?, named: name, isActive: { $0.active })
        }
        #expect(throws: ValidationError(field: "instance", "instance 'pg-main' is deactivated: activate it before syncing it")) {
            try SyncRules.syncable((name: "pg-main", active: false), named: name, isActive: { $0.active })
        }
    }
}
