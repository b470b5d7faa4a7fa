#include "workercontext.h"

#include "eventstore.h"
#include "jsdomain.h"

using namespace Qt::StringLiterals;

namespace es {

WorkerContext::~WorkerContext() = default;

bool WorkerContext::mustRunInline(const QString &storePath)
{
    return storePath.isEmpty() || storePath == u":memory:"_s;
}

Result<std::unique_ptr<WorkerContext>> WorkerContext::open(const QString &storePath, const QString &packPath)
{
    std::unique_ptr<WorkerContext> out(new WorkerContext);
    const bool memory = storePath.startsWith(u"file:"_s) && storePath.contains(u"mode=memory"_s);
    auto store = EventStore::open(storePath, memory ? EventStore::Mode::ReadWrite : EventStore::Mode::ReadOnly);
    if (!store)
        return store.error();
    out->m_ownStore = std::move(*store);
    out->m_store = out->m_ownStore.get();
    if (!packPath.isEmpty()) {
        auto domain = JsDomain::load(packPath);
        if (!domain)
            return domain.error();
        out->m_ownDomain = std::move(*domain);
        out->m_domain = out->m_ownDomain.get();
    }
    return out;
}

std::unique_ptr<WorkerContext> WorkerContext::borrow(EventStore *store, Domain *domain)
{
    std::unique_ptr<WorkerContext> out(new WorkerContext);
    out->m_store = store;
    out->m_domain = domain;
    return out;
}

} // namespace es
