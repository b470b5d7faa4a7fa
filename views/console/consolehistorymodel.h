#pragma once

#include "commandpipeline.h"
#include "common/outcomestyle.h"
#include "common/rowtablemodel.h"

namespace es {

// A command sent from the console, kept to load back or run again.
struct ConsoleHistoryEntry {
    Command command; // as sent, secrets included (in memory only, never shown)
    QString aggregate;
    QString commandName;
    CommandOutcome outcome = CommandOutcome::Accepted;
    outcomestyle::EventMark mark = outcomestyle::EventMark::None; // accepted, but its event says failure/warning
    QString summary; // the reason, or the positions written
    qint64 sentMs = 0;
};

// The console's history of sent commands, oldest first.
class ConsoleHistoryModel : public RowTableModel<ConsoleHistoryEntry> {
    Q_OBJECT
public:
    enum Column { TimeColumn, CommandColumn, StreamColumn, OutcomeColumn };

    explicit ConsoleHistoryModel(QObject *parent = nullptr);

protected:
    QVariant rowData(const ConsoleHistoryEntry &entry, int column, int role) const override;
};

} // namespace es
