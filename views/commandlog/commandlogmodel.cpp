#include "commandlogmodel.h"

#include "eventstore.h"
#include "common/outcomestyle.h"
#include "stagebar.h"

#include <QBrush>
#include <QFont>

using namespace Qt::StringLiterals;

namespace es {

CommandLogModel::CommandLogModel(QObject *parent)
    : RowTableModel<CommandLogRow>(parent)
{
    setHeaders({tr("Time (UTC)"), tr("Outcome"), tr("Command"), tr("Stream"), tr("Actor"), tr("Reason"),
                tr("Stages"), tr("Events")},
               {{}, {}, {}, {}, {}, tr("Why it was rejected, conflicted or failed"),
                tr("Time spent in validate, load, decide, append and publish (log scale across rows)"),
                tr("Global positions of the events it wrote; double-click to show them")});
}

void CommandLogModel::setStore(EventStore *store)
{
    m_store = store;
    m_readCount = 0;
    m_firstSeq = 0;
    m_unlogged = 0;
    m_scaleUs = 0;
    m_error.clear();
    // Nothing to fetch while resetting: views (and the model tester) call fetchMore from their reset slots.
    m_complete = true;
    setRows({});
    if (m_store) {
        // Open at the newest end: the last page, the rest on request.
        const qint64 last = lastSeq(m_store);
        m_firstSeq = std::max<qint64>(0, last - m_pageSize);
        m_readCount = m_firstSeq;
        m_complete = false;
        const QString probeError = m_error;
        readPage();
        if (m_readCount >= last)
            m_complete = true; // read to the end: what comes next, refresh() appends
        if (!probeError.isEmpty()) { // the log goes on past a page that could not be read: say so
            m_error = probeError;
            m_complete = true;
        }
    }
}

void CommandLogModel::setEventOutcomes(const QHash<QString, QString> &outcomes)
{
    if (outcomes == m_outcomes)
        return;
    m_outcomes = outcomes;
    QList<CommandLogRow> all = rows();
    for (CommandLogRow &r : all)
        r.mark = outcomestyle::EventMark::None;
    mark(all);
    for (int i = 0; i < all.size(); ++i)
        if (all.at(i).mark != rows().at(i).mark)
            replaceRow(i, all.at(i));
}

void CommandLogModel::mark(QList<CommandLogRow> &rows) const
{
    if (m_outcomes.isEmpty() || !m_store)
        return;
    qint64 low = 0;
    qint64 high = 0;
    for (const CommandLogRow &r : rows) {
        if (r.record.outcome != CommandOutcome::Accepted || r.record.firstPosition <= 0)
            continue;
        low = low == 0 ? r.record.firstPosition : std::min(low, r.record.firstPosition);
        high = std::max(high, std::max(r.record.lastPosition, r.record.firstPosition));
    }
    if (low == 0)
        return;
    EventQuery q;
    q.types = m_outcomes.keys();
    q.fromPosition = low;
    q.toPosition = high;
    q.limit = int(std::min<qint64>(high - low + 1, 100000));
    auto events = m_store->query(q);
    if (!events || events->isEmpty())
        return;
    QHash<qint64, QString> typeAt;
    for (const RecordedEvent &e : std::as_const(*events))
        typeAt.insert(e.position, e.type);
    for (CommandLogRow &r : rows) {
        if (r.record.outcome != CommandOutcome::Accepted || r.record.firstPosition <= 0)
            continue;
        QStringList types;
        for (qint64 p = r.record.firstPosition; p <= std::max(r.record.lastPosition, r.record.firstPosition); ++p)
            if (const auto it = typeAt.constFind(p); it != typeAt.constEnd())
                types << *it;
        r.mark = outcomestyle::worstMark(m_outcomes, types, &r.markedType);
    }
}

qint64 CommandLogModel::lastSeq(EventStore *store)
{
    // A read error ends the search where it happened and is reported: a damaged
    // page must never pass for the end of the log.
    auto exists = [this, store](qint64 seq) { // is there a row after seq - 1?
        if (!m_error.isEmpty())
            return false;
        auto r = store->commands(seq - 1, 1);
        if (!r) {
            m_error = r.error().message;
            return false;
        }
        return !r->isEmpty();
    };
    if (!exists(1))
        return 0;
    qint64 low = 1; // exists
    qint64 high = 2;
    while (exists(high)) {
        low = high;
        high *= 2;
    }
    while (high - low > 1) { // low exists, high does not
        const qint64 mid = low + (high - low) / 2;
        (exists(mid) ? low : high) = mid;
    }
    return low;
}

void CommandLogModel::fetchOlder()
{
    if (!m_store || m_firstSeq <= 0)
        return;
    const qint64 from = std::max<qint64>(0, m_firstSeq - m_pageSize);
    auto records = m_store->commands(from, int(m_firstSeq - from));
    if (!records) {
        m_error = records.error().message;
        return;
    }
    m_firstSeq = from;
    const qint64 oldScale = m_scaleUs;
    prependRows(fresh(*records));
    if (m_scaleUs != oldScale && rowCount() > 0)
        Q_EMIT dataChanged(index(0, StagesColumn), index(rowCount() - 1, StagesColumn));
}

QList<CommandLogRow> CommandLogModel::fresh(const QList<CommandRecord> &records)
{
    QList<CommandLogRow> out;
    for (const CommandRecord &r : records) {
        noteTotal(r);
        if (const int row = rowOf(r.commandId); row >= 0) {
            // Already shown (this process's result arrived first): the log row
            // may hold partial timings, the result the complete ones.
            CommandLogRow &existing = mutableRow(row);
            if (!existing.logged)
                --m_unlogged;
            existing.logged = true;
            if (StageBar::total(StageBar::micros(existing.record.timings)) == 0)
                existing.record.timings = r.timings;
            rowChanged(row);
        } else {
            out.append(CommandLogRow{r, true});
        }
    }
    mark(out);
    return out;
}

void CommandLogModel::rowsReplaced()
{
    m_rowOf.clear();
    for (int i = 0; i < rows().size(); ++i)
        m_rowOf.insert(rows().at(i).record.commandId, i);
}

void CommandLogModel::rowsAppended(int first)
{
    for (int i = first; i < rows().size(); ++i)
        m_rowOf.insert(rows().at(i).record.commandId, i);
}

bool CommandLogModel::canFetchMore(const QModelIndex &parent) const
{
    return !parent.isValid() && m_store && !m_complete;
}

void CommandLogModel::fetchMore(const QModelIndex &parent)
{
    if (canFetchMore(parent))
        readPage();
}

void CommandLogModel::refresh()
{
    // While older pages are still to be fetched, new rows come with them.
    if (!m_store || !m_complete)
        return;
    m_complete = false;
    for (int pages = 0; pages < 10 && !m_complete; ++pages)
        readPage();
    m_complete = true; // a burst longer than 10 pages continues on the next refresh
}

int CommandLogModel::readPage()
{
    auto records = m_store->commands(m_readCount, m_pageSize);
    if (!records) {
        m_error = records.error().message;
        m_complete = true;
        return 0;
    }
    m_error.clear();
    m_readCount += records->size();
    m_complete = records->size() < m_pageSize;
    const qint64 oldScale = m_scaleUs;
    const QList<CommandLogRow> loaded = fresh(*records);
    appendRows(loaded);
    if (m_scaleUs != oldScale && rowCount() > 0)
        Q_EMIT dataChanged(index(0, StagesColumn), index(rowCount() - 1, StagesColumn));
    return int(records->size());
}

void CommandLogModel::noteTotal(const CommandRecord &record)
{
    m_scaleUs = qMax(m_scaleUs, StageBar::total(StageBar::micros(record.timings)));
}

void CommandLogModel::applyResult(const CommandRecord &record)
{
    if (record.commandId.isEmpty())
        return;
    int row = rowOf(record.commandId);
    if (row < 0) {
        refresh();
        row = rowOf(record.commandId);
    }
    const qint64 oldScale = m_scaleUs;
    noteTotal(record);
    if (row >= 0) {
        CommandLogRow &existing = mutableRow(row);
        existing.record = record;
        QList<CommandLogRow> one{existing};
        mark(one);
        existing.mark = one.constFirst().mark;
        existing.markedType = one.constFirst().markedType;
        rowChanged(row);
    } else if (m_complete) {
        // Not in the log: the pipeline failed before logging (unknown command, read-only store).
        ++m_unlogged;
        appendRows({CommandLogRow{record, false}});
    }
    if (m_scaleUs != oldScale && rowCount() > 0)
        Q_EMIT dataChanged(index(0, StagesColumn), index(rowCount() - 1, StagesColumn));
}

namespace {
QString positions(const CommandRecord &r)
{
    if (r.firstPosition <= 0)
        return {};
    if (r.lastPosition <= r.firstPosition)
        return u"#%1"_s.arg(r.firstPosition);
    return u"#%1–%2"_s.arg(r.firstPosition).arg(r.lastPosition);
}
} // namespace

QVariant CommandLogModel::rowData(const CommandLogRow &row, int column, int role) const
{
    const CommandRecord &r = row.record;
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case TimeColumn:
            return QDateTime::fromMSecsSinceEpoch(r.recordedMs, Qt::UTC).toString(u"yyyy-MM-dd HH:mm:ss.zzz"_s);
        case OutcomeColumn:
            return row.mark != outcomestyle::EventMark::None ? outcomestyle::title(row.mark) : outcomeName(r.outcome);
        case CommandColumn:
            return r.type;
        case StreamColumn:
            return r.stream;
        case ActorColumn:
            return r.metadata.value(meta::Actor).toString();
        case ReasonColumn:
            return r.reason;
        case StagesColumn:
            return StageBar::formatMicros(StageBar::total(StageBar::micros(r.timings)));
        case EventsColumn:
            return positions(r);
        }
        return {};
    case Qt::ToolTipRole:
        switch (column) {
        case OutcomeColumn:
            if (row.mark != outcomestyle::EventMark::None)
                return tr("accepted, and recorded as a %1: the pack marks %2 so").arg(outcomestyle::title(row.mark),
                                                                                    row.markedType);
            return row.logged ? outcomestyle::title(r.outcome)
                              : tr("%1 — not in the command log: it failed before the pipeline could log it")
                                    .arg(outcomestyle::title(r.outcome));
        case CommandColumn:
            return tr("%1.%2\ncommand id %3").arg(r.aggregate, r.type, r.commandId);
        case ReasonColumn: {
            QString tip = r.reason;
            for (auto it = r.fieldErrors.constBegin(); it != r.fieldErrors.constEnd(); ++it)
                tip += u"\n• "_s + it.key() + u": "_s + it.value().toString();
            if (r.outcome == CommandOutcome::Conflict && r.expectedVersion >= 0)
                tip += u'\n' + tr("expected version %1, actual %2").arg(r.expectedVersion).arg(r.actualVersion);
            return tip;
        }
        case StagesColumn:
            return StageBar::describe(StageBar::micros(r.timings));
        case EventsColumn:
            return r.firstPosition > 0 ? tr("Double-click to show the first event in the timeline") : QVariant();
        case ActorColumn:
            if (r.metadata.contains(u"reaction"_s))
                return tr("issued by the reaction %1").arg(r.metadata.value(u"reaction"_s).toString());
            return {};
        default:
            return {};
        }
    case Qt::ForegroundRole:
        if (column == OutcomeColumn)
            return QBrush(row.mark != outcomestyle::EventMark::None ? outcomestyle::foreground(row.mark)
                                                                   : outcomestyle::foreground(r.outcome));
        if (!row.logged)
            return QBrush(Qt::gray);
        return {};
    case Qt::BackgroundRole:
        if (column == OutcomeColumn)
            return QBrush(row.mark != outcomestyle::EventMark::None ? outcomestyle::background(row.mark)
                                                                   : outcomestyle::background(r.outcome));
        return {};
    case Qt::FontRole:
        if (column == OutcomeColumn) {
            QFont f;
            f.setBold(true);
            return f;
        }
        return {};
    case Qt::TextAlignmentRole:
        if (column == StagesColumn || column == EventsColumn)
            return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case OutcomeRole:
        return int(r.outcome);
    case FirstPositionRole:
        return r.firstPosition;
    case TimingsRole: {
        QVariantList list;
        for (qint64 us : StageBar::micros(r.timings))
            list.append(us);
        return list;
    }
    case ScaleRole:
        return m_scaleUs;
    case CommandIdRole:
        return r.commandId;
    default:
        return {};
    }
}

} // namespace es
