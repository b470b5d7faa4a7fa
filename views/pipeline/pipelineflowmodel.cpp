#include "pipelineflowmodel.h"

#include "commandlog/stagebar.h"
#include "common/outcomestyle.h"

#include <QDateTime>

using namespace Qt::StringLiterals;

namespace es {

PipelineFlowModel::PipelineFlowModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

int PipelineFlowModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int PipelineFlowModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString PipelineFlowModel::describeResult(const PipelineTrace &t)
{
    if (!t.accepted())
        return tr("%1 at %2").arg(outcomestyle::title(t.outcome), pipelineNodeTitle(t.stop().node));
    QStringList reached = t.projectionsReached();
    reached << t.reactionsReached();
    if (t.fanOut.isEmpty())
        return tr("accepted, no events");
    if (reached.isEmpty())
        return tr("accepted, %n event(s)", nullptr, int(t.fanOut.size()));
    return u"→ "_s + reached.join(u", "_s);
}

QString PipelineFlowModel::describeCause(const PipelineTrace &t)
{
    if (!t.issuedByReaction())
        return {};
    if (t.causationPosition > 0)
        return tr("%1 on event #%2").arg(t.reaction).arg(t.causationPosition);
    return t.reaction;
}

QVariant PipelineFlowModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &r = m_rows.at(index.row());
    const PipelineTrace &t = r.trace;
    if (role == SerialRole)
        return r.serial;
    if (role == FirstPositionRole)
        return t.firstPosition;
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case SerialColumn:
            return r.serial > 0 ? QVariant(r.serial) : QVariant(u"–"_s);
        case CommandColumn:
            // A reaction's command is indented under the command that caused it.
            return QString((t.issuedByReaction() ? u"↳ "_s : QString()) + outcomestyle::symbol(t.outcome) + u' ' +
                           t.command);
        case StreamColumn:
            return t.stream;
        case ResultColumn:
            return describeResult(t);
        case TimeColumn:
            return StageBar::formatMicros(t.timings.validateUs + t.timings.loadUs + t.timings.decideUs +
                                          t.timings.appendUs + t.timings.publishUs);
        case CauseColumn:
            return describeCause(t);
        }
        break;
    case Qt::ForegroundRole:
        if (index.column() == CommandColumn || index.column() == ResultColumn)
            return outcomestyle::foreground(t.outcome);
        if (r.external)
            return QColor(0x60, 0x7d, 0x8b);
        break;
    case Qt::TextAlignmentRole:
        if (index.column() == SerialColumn || index.column() == TimeColumn)
            return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        break;
    case Qt::ToolTipRole: {
        QStringList lines;
        lines << u"<b>%1</b> → %2"_s.arg(t.command.toHtmlEscaped(), t.stream.toHtmlEscaped());
        lines << outcomestyle::title(t.outcome) + (t.reason.isEmpty() ? QString() : u": "_s + t.reason.toHtmlEscaped());
        lines << StageBar::describe(StageBar::micros(t.timings)).toHtmlEscaped().replace(u'\n', u"<br>"_s);
        if (t.issuedByReaction())
            lines << tr("issued by the reaction %1").arg(describeCause(t).toHtmlEscaped());
        if (r.external)
            lines << tr("sent by another process (read from the store's command log)");
        if (r.serial == 0)
            lines << tr("not animated: too many commands arrived at once");
        if (t.firstPosition > 0)
            lines << tr("click to show event #%1").arg(t.firstPosition);
        return lines.join(u"<br>"_s);
    }
    default:
        break;
    }
    return {};
}

QVariant PipelineFlowModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case SerialColumn:
        return tr("#");
    case CommandColumn:
        return tr("Command");
    case StreamColumn:
        return tr("Stream");
    case ResultColumn:
        return tr("Result");
    case TimeColumn:
        return tr("Time");
    case CauseColumn:
        return tr("Caused by");
    }
    return {};
}

void PipelineFlowModel::append(const Row &row)
{
    if (m_rows.size() >= MaxRows) {
        const int drop = int(m_rows.size()) - MaxRows + 1;
        beginRemoveRows({}, 0, drop - 1);
        m_rows.remove(0, drop);
        endRemoveRows();
    }
    const int at = int(m_rows.size());
    beginInsertRows({}, at, at);
    m_rows.append(row);
    endInsertRows();
}

void PipelineFlowModel::clear()
{
    if (m_rows.isEmpty())
        return;
    beginResetModel();
    m_rows.clear();
    endResetModel();
}

int PipelineFlowModel::rowOfSerial(int serial) const
{
    if (serial <= 0)
        return -1;
    for (int i = int(m_rows.size()) - 1; i >= 0; --i)
        if (m_rows.at(i).serial == serial)
            return i;
    return -1;
}

} // namespace es
