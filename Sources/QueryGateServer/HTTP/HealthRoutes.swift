import Hummingbird
import PortalStore

/// `GET /healthz`: the process is up (for a liveness probe: never touches a dependency).
/// `GET /readyz`: the portal database answers (for a readiness probe and a load balancer).
struct HealthRoutes {
    let store: PortalStore

    struct Status: ResponseEncodable {
        let status: String
        var reason: String? = nil
    }

    func register(on router: Router<some RequestContext>) {
        router.get("healthz") { _, _ in Status(status: "ok") }
        router.get("readyz") { _, _ -> EditedResponse<Status> in
            if await store.isReachable() {
                return EditedResponse(status: .ok, response: Status(status: "ready"))
            }
            return EditedResponse(status: .serviceUnavailable, response: Status(status: "unavailable", reason: "the portal database does not answer"))
        }
    }
}
