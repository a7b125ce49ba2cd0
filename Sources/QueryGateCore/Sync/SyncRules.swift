/// Which instance a sync may run on: one that exists and is active. A deactivated instance is kept with its
/// databases and its history, but nothing lists it again until an administrator turns it back on.
public enum SyncRules {
    /// The instance a sync of `name` runs on; `instance` is what the store found under that name.
    /// - Throws: `ValidationError` (field `instance`) for an unknown or deactivated instance, before anything is
    ///   written.
    public static func syncable<Instance>(
        _ instance: Instance?, named name: InstanceName, isActive: (Instance) -> Bool
    ) throws(ValidationError) -> Instance {
        guard let instance else { throw ValidationError.noInstance(named: name) }
        guard isActive(instance) else {
            throw ValidationError(field: "instance", "instance '\(name)' is deactivated: activate it before syncing it")
        }
        return instance
    }
}
