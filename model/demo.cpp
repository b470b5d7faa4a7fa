#include "demo.h"

#include "commandpipeline.h"
#include "eventstore.h"
#include "jsdomain.h"

#include <QFile>

using namespace Qt::StringLiterals;

namespace es {

Result<qint64> createDemoStore(const QString &storePath, const QString &packPath)
{
    if (QFile::exists(storePath))
        return Error::make(ErrorCode::Invalid, u"%1 already exists"_s.arg(storePath));
    auto domain = JsDomain::load(packPath);
    if (!domain)
        return domain.error();
    auto store = EventStore::open(storePath, EventStore::Mode::Create);
    if (!store)
        return store.error();
    CommandPipeline pipeline(store->get(), domain->get());
    struct Step {
        const char *actor;
        const char *stream;
        const char *command;
        QJsonObject payload;
    };
    const QList<Step> steps = {
        {"alice", "account-alice", "OpenAccount", {{u"owner"_s, u"Alice"_s}, {u"currency"_s, u"EUR"_s}}},
        {"bob", "account-bob", "OpenAccount", {{u"owner"_s, u"Bob"_s}, {u"currency"_s, u"EUR"_s}}},
        {"alice", "account-alice", "Deposit", {{u"amount"_s, 250}}},
        {"bob", "account-bob", "Deposit", {{u"amount"_s, 40}}},
        {"alice", "account-alice", "Withdraw", {{u"amount"_s, 75.5}}},
        {"bob", "account-bob", "Withdraw", {{u"amount"_s, 100}}}, // rejected: overdraft
        {"carol", "account-carol", "OpenAccount", {{u"owner"_s, u"Carol"_s}, {u"currency"_s, u"GBP"_s}}},
        {"carol", "account-carol", "Deposit", {{u"amount"_s, 1200}}},
        {"bob", "account-bob", "Withdraw", {{u"amount"_s, 40}}},
        {"bob", "account-bob", "CloseAccount", {}},
        {"alice", "account-alice", "Deposit", {{u"amount"_s, 0}}}, // rejected: validation
        {"carol", "account-carol", "Withdraw", {{u"amount"_s, 300}}},
    };
    qint64 accepted = 0;
    for (const Step &s : steps) {
        Command c;
        c.type = QString::fromLatin1(s.command);
        c.stream = QString::fromLatin1(s.stream);
        c.payload = s.payload;
        c.metadata.insert(meta::Actor, QString::fromLatin1(s.actor));
        const CommandResult r = pipeline.execute(c);
        if (r.record.outcome == CommandOutcome::Failed)
            return r.error;
        accepted += r.accepted() ? 1 : 0;
    }
    return accepted;
}

} // namespace es
