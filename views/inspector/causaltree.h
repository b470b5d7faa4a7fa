#pragma once

#include "result.h"
#include "types.h"

#include <vector>

namespace es {

class EventStore;

// One step of a correlation: a command, or an event it wrote.
struct CausalNode {
    enum class Kind { Command, Event };
    Kind kind = Kind::Command;
    CommandRecord command; // Kind::Command
    bool inLog = true;     // false: known only from its events' metadata (no command log row)
    RecordedEvent event;   // Kind::Event
    std::vector<CausalNode> children;
};

// Everything that shares a correlation id, as the causal tree people reason
// with: command → the events it wrote → the reaction commands those events
// caused → their events... Commands name their cause in metadata.causationId
// (the event id, for a reaction's command); events name their command in
// metadata.commandId.
struct CausalTree {
    std::vector<CausalNode> roots;
    int commandCount = 0;
    int eventCount = 0;
    bool truncated = false; // more events than were read

    // commands: log rows of the correlation; events: its events, any order.
    static CausalTree build(const QList<CommandRecord> &commands, const EventList &events);
    // Reads the events with the correlation id, then the commands they name
    // and the root command (whose id is the correlation id, unless the sender
    // chose another). A command of the correlation that wrote no event (a
    // rejected reaction) is only found when it is the root: the store has no
    // query of the command log by correlation.
    static Result<CausalTree> load(EventStore *store, const QString &correlationId, int maxEvents = 1000);
};

} // namespace es
