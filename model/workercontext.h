#pragma once

#include "domain.h"
#include "result.h"

#include <QString>

#include <memory>

namespace es {

class EventStore;
class JsDomain;

// What a worker thread needs to read the store and run the pack: a
// connection and a pack instance of its own (a connection and a QJSEngine
// belong to the thread that made them). A plain ":memory:" store cannot be
// opened twice: such work runs inline on the owner's objects instead.
class WorkerContext {
public:
    // True when work on this store must run in the thread that owns it.
    static bool mustRunInline(const QString &storePath);

    // Opens a connection and loads the pack (packPath may be empty: no domain).
    static Result<std::unique_ptr<WorkerContext>> open(const QString &storePath, const QString &packPath);
    // Borrows the owner's objects (inline work).
    static std::unique_ptr<WorkerContext> borrow(EventStore *store, Domain *domain);
    ~WorkerContext();

    EventStore *store() const { return m_store; }
    Domain *domain() const { return m_domain; }

private:
    WorkerContext() = default;
    std::unique_ptr<EventStore> m_ownStore;
    std::unique_ptr<JsDomain> m_ownDomain;
    EventStore *m_store = nullptr;
    Domain *m_domain = nullptr;
};

} // namespace es
