import Foundation
import PortalStore
import Testing

/// The wake-up of the work loops: a NOTIFY that arrives while every loop is busy must not be lost.
@Suite("Wake signal")
struct WakeSignalTests {
    @Test(.timeLimit(.minutes(10)))
    func aSignalWhileNobodyWaitsWakesTheNextWaitOnce() async {
        let wake = WakeSignal()
        await wake.signal()
        let started = ContinuousClock.now
        await wake.wait(upTo: .seconds(50))
        // Without the kept signal this wait lasts its whole 50 s.
        #expect(started.duration(to: .now) < .seconds(25))

        // Kept once, not forever: the next wait waits for its timeout.
        let second = ContinuousClock.now
        await wake.wait(upTo: .milliseconds(200))
        #expect(second.duration(to: .now) >= .milliseconds(200))
    }
}
