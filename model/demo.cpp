#include "demo.h"

#include "commandpipeline.h"
#include "eventstore.h"
#include "jsdomain.h"
#include "workload.h"

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
    EventStore::Options storeOptions;
    storeOptions.mode = EventStore::Mode::Create;
    storeOptions.durability = EventStore::Durability::Normal; // sample data: no fsync per command
    auto store = EventStore::open(storePath, storeOptions);
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
        // A transfer, then one to Bob's closed account: it bounces and is refunded.
        {"alice", "account-alice", "SendTransfer", {{u"to"_s, u"account-carol"_s}, {u"amount"_s, 50}}},
        {"carol", "account-carol", "SendTransfer", {{u"to"_s, u"account-bob"_s}, {u"amount"_s, 25}}},
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
    // Then a seeded random workload, the same as `eventscope-cli generate --seed 1`.
    WorkloadGenerator::Options options;
    options.commands = 300;
    options.seed = 1;
    auto stats = WorkloadGenerator(&pipeline, options).run();
    if (!stats)
        return stats.error();
    return accepted + stats->accepted;
}

} // namespace es
