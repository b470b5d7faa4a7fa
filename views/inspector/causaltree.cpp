#include "causaltree.h"

#include "eventstore.h"

#include <QHash>
#include <QSet>

#include <algorithm>
#include <functional>
#include <limits>

using namespace Qt::StringLiterals;

namespace es {

CausalTree CausalTree::build(const QList<CommandRecord> &commandList, const EventList &eventList)
{
    CausalTree tree;
    EventList events = eventList;
    std::sort(events.begin(), events.end(),
              [](const RecordedEvent &a, const RecordedEvent &b) { return a.position < b.position; });

    QList<CommandRecord> commands;
    QList<bool> inLog;
    QHash<QString, int> commandIndex;
    for (const CommandRecord &c : commandList) {
        if (c.commandId.isEmpty() || commandIndex.contains(c.commandId))
            continue;
        commandIndex.insert(c.commandId, int(commands.size()));
        commands.append(c);
        inLog.append(true);
    }
    QList<QJsonObject> eventMeta;
    QHash<QString, int> eventIndex;
    for (int i = 0; i < events.size(); ++i) {
        const RecordedEvent &e = events.at(i);
        eventIndex.insert(e.eventId, i);
        const QJsonObject md = e.metadataObject();
        eventMeta.append(md);
        const QString cid = md.value(meta::CommandId).toString();
        if (cid.isEmpty() || commandIndex.contains(cid))
            continue;
        // The log has no row for it (an imported history, say): its events still tell its cause.
        CommandRecord placeholder;
        placeholder.commandId = cid;
        placeholder.stream = e.stream;
        placeholder.recordedMs = e.recordedMs;
        placeholder.firstPosition = e.position;
        const QString causation = md.value(meta::CausationId).toString();
        if (!causation.isEmpty() && causation != cid)
            placeholder.metadata.insert(meta::CausationId, causation);
        commandIndex.insert(cid, int(commands.size()));
        commands.append(placeholder);
        inLog.append(false);
    }

    // Parent links.
    QList<QList<int>> eventsOfCommand(commands.size());
    QList<QList<int>> commandsOfEvent(events.size());
    QList<int> rootCommands;
    QList<int> rootEvents;
    for (int i = 0; i < events.size(); ++i) {
        const auto it = commandIndex.constFind(eventMeta.at(i).value(meta::CommandId).toString());
        if (it != commandIndex.cend())
            eventsOfCommand[*it].append(i);
        else
            rootEvents.append(i);
    }
    for (int c = 0; c < commands.size(); ++c) {
        const QString causation = commands.at(c).metadata.value(meta::CausationId).toString();
        const auto it = eventIndex.constFind(causation);
        if (it != eventIndex.cend())
            commandsOfEvent[*it].append(c);
        else
            rootCommands.append(c);
    }
    auto byTime = [&commands](int a, int b) {
        const CommandRecord &ca = commands.at(a);
        const CommandRecord &cb = commands.at(b);
        const qint64 pa = ca.firstPosition > 0 ? ca.firstPosition : std::numeric_limits<qint64>::max();
        const qint64 pb = cb.firstPosition > 0 ? cb.firstPosition : std::numeric_limits<qint64>::max();
        if (ca.recordedMs != cb.recordedMs)
            return ca.recordedMs < cb.recordedMs;
        return pa < pb;
    };
    std::stable_sort(rootCommands.begin(), rootCommands.end(), byTime);
    for (QList<int> &list : commandsOfEvent)
        std::stable_sort(list.begin(), list.end(), byTime);

    // Materialise; the visited sets guard against cycles in hand-made metadata.
    QSet<int> seenCommands;
    QSet<int> seenEvents;
    std::function<CausalNode(int)> commandNode;
    std::function<CausalNode(int)> eventNode = [&](int e) {
        seenEvents.insert(e);
        ++tree.eventCount;
        CausalNode n;
        n.kind = CausalNode::Kind::Event;
        n.event = events.at(e);
        for (int c : std::as_const(commandsOfEvent[e]))
            if (!seenCommands.contains(c))
                n.children.push_back(commandNode(c));
        return n;
    };
    commandNode = [&](int c) {
        seenCommands.insert(c);
        ++tree.commandCount;
        CausalNode n;
        n.kind = CausalNode::Kind::Command;
        n.command = commands.at(c);
        n.inLog = inLog.at(c);
        for (int e : std::as_const(eventsOfCommand[c]))
            if (!seenEvents.contains(e))
                n.children.push_back(eventNode(e));
        return n;
    };
    for (int c : std::as_const(rootCommands))
        if (!seenCommands.contains(c))
            tree.roots.push_back(commandNode(c));
    for (int e : std::as_const(rootEvents))
        if (!seenEvents.contains(e))
            tree.roots.push_back(eventNode(e));
    return tree;
}

Result<CausalTree> CausalTree::load(EventStore *store, const QString &correlationId, int maxEvents)
{
    EventQuery q;
    q.correlationId = correlationId;
    q.limit = maxEvents + 1;
    auto events = store->query(q);
    if (!events)
        return events.error();
    bool truncated = false;
    if (events->size() > maxEvents) {
        events->resize(maxEvents);
        truncated = true;
    }
    QStringList ids{correlationId};
    QSet<QString> seen{correlationId};
    for (const RecordedEvent &e : std::as_const(*events)) {
        const QString cid = e.metadataObject().value(meta::CommandId).toString();
        if (!cid.isEmpty() && !seen.contains(cid)) {
            seen.insert(cid);
            ids.append(cid);
        }
    }
    QList<CommandRecord> commands;
    for (const QString &id : std::as_const(ids))
        if (auto c = store->command(id))
            commands.append(*c);
    CausalTree tree = build(commands, *events);
    tree.truncated = truncated;
    return tree;
}

} // namespace es
