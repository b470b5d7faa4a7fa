#pragma once

#include "common/outcomestyle.h"
#include "common/rowtablemodel.h"
#include "types.h"

#include <QHash>
#include <QPointer>

namespace es {

class EventStore;

// One row of the command log view: the record, and whether it is in the
// store's log (commands that fail before the pipeline logs them, such as an
// unknown command, are shown from this process's results only).
struct CommandLogRow {
    CommandRecord record;
    bool logged = true;
    // Accepted, but an event it wrote is one the pack marks as a failure or a warning.
    outcomestyle::EventMark mark = outcomestyle::EventMark::None;
    QString markedType;
};

// The store's command log, oldest first. It opens at the newest end (the
// last page), loads older pages on request (fetchOlder, when the view is
// scrolled to the top) and follows live: refresh() appends the rows written
// since (by this process or another).
//
// EventStore::commands() pages by the log's seq, which CommandRecord does not
// carry. seq is the table's rowid and rows are never deleted, so the number of
// rows read so far is the seq to read after; rows are also keyed by command id,
// so a row read twice only updates itself.
class CommandLogModel : public RowTableModel<CommandLogRow> {
    Q_OBJECT
public:
    enum Column {
        TimeColumn,
        OutcomeColumn,
        CommandColumn,
        StreamColumn,
        ActorColumn,
        ReasonColumn,
        StagesColumn,
        EventsColumn,
    };
    enum Role {
        OutcomeRole = Qt::UserRole + 1, // int(CommandOutcome)
        FirstPositionRole,
        TimingsRole, // QVariantList of the five stage durations in µs
        ScaleRole,   // the largest total, the bars' common scale
        CommandIdRole,
    };
    static constexpr int PageSize = 1000;

    explicit CommandLogModel(QObject *parent = nullptr);

    void setStore(EventStore *store);
    // The pack's event outcomes (DomainInfo::eventOutcomes): rows whose events are marked show so.
    void setEventOutcomes(const QHash<QString, QString> &outcomes);
    // Appends what was logged since the last read (when the whole log is loaded).
    void refresh();
    // A command this process ran: the row gets the complete record (the log
    // row's timings lag until the store flushes them).
    void applyResult(const CommandRecord &record);

    // Rows read per page (tests use small pages); takes effect on the next read.
    void setPageSize(int rows) { m_pageSize = qMax(1, rows); }
    int rowOf(const QString &commandId) const { return m_rowOf.value(commandId, -1); }
    bool isComplete() const { return m_complete; }
    // Older pages not loaded yet; loads the one before the first row shown.
    bool hasOlder() const { return m_firstSeq > 0; }
    void fetchOlder();
    // Every command: in the store's log (loaded or not) and those that never reached it.
    qint64 totalCount() const { return m_readCount + m_unlogged; }
    QString lastError() const { return m_error; }

    bool canFetchMore(const QModelIndex &parent) const override;
    void fetchMore(const QModelIndex &parent) override;

protected:
    QVariant rowData(const CommandLogRow &row, int column, int role) const override;
    void rowsReplaced() override;
    void rowsAppended(int first) override;

private:
    int readPage();
    QList<CommandLogRow> fresh(const QList<CommandRecord> &records);
    // Finds the marked events of accepted rows (one query over their positions).
    void mark(QList<CommandLogRow> &rows) const;
    // The log's last seq (its row count: rows are never deleted), by galloping search.
    qint64 lastSeq(EventStore *store); // sets m_error when a read fails
    void noteTotal(const CommandRecord &record);

    QPointer<EventStore> m_store;
    int m_pageSize = PageSize;
    qint64 m_readCount = 0; // the log's seq read up to
    qint64 m_firstSeq = 0;  // the seq the first row shown comes after
    qint64 m_unlogged = 0;
    bool m_complete = true;
    qint64 m_scaleUs = 0;
    QHash<QString, int> m_rowOf;
    QString m_error;
    QHash<QString, QString> m_outcomes;
};

} // namespace es
