/// Lets one sign-in per account run at a time in this process, so that a burst of parallel guesses cannot all
/// read the failure count before any of them has added to it. (Replicas each have their own queue: across N of
/// them a burst gets at most N - 1 guesses past the limit.)
actor SignInQueue {
    private var busy: Set<String> = []
    private var waiting: [String: [CheckedContinuation<Void, Never>]] = [:]

    func acquire(_ account: String) async {
        guard busy.contains(account) else {
            busy.insert(account)
            return
        }
        await withCheckedContinuation { waiting[account, default: []].append($0) }
    }

    /// Hands the account to the next waiting sign-in, or frees it.
    func release(_ account: String) {
        guard var queue = waiting[account], !queue.isEmpty else {
            busy.remove(account)
            return
        }
        let next = queue.removeFirst()
        waiting[account] = queue.isEmpty ? nil : queue
        next.resume()
    }
}
