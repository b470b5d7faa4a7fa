#include "streamsmodel.h"

using namespace Qt::StringLiterals;

namespace es {

StreamsModel::StreamsModel(QObject *parent)
    : RowTableModel<StreamInfo>(parent)
{
    setHeaders({tr("Stream"), tr("Type"), tr("Version"), tr("Last activity (UTC)")},
               {tr("Stream id"), tr("Aggregate type"), tr("Number of events in the stream"),
                tr("Time of the stream's latest event")});
}

void StreamsModel::rowsReplaced()
{
    m_rowOf.clear();
    for (int i = 0; i < rows().size(); ++i)
        m_rowOf.insert(rows().at(i).stream, i);
}

void StreamsModel::rowsAppended(int first)
{
    for (int i = first; i < rows().size(); ++i)
        m_rowOf.insert(rows().at(i).stream, i);
}

void StreamsModel::applyEvents(const EventList &events, const std::function<QString(const QString &)> &typeOf)
{
    QList<StreamInfo> fresh;
    QHash<QString, int> freshRow;
    QList<int> changed;
    for (const RecordedEvent &e : events) {
        if (const int row = rowOf(e.stream); row >= 0) {
            StreamInfo &info = mutableRow(row);
            if (e.version > info.version)
                info.version = e.version;
            info.lastMs = qMax(info.lastMs, e.recordedMs);
            if (!changed.contains(row))
                changed.append(row);
        } else if (const auto it = freshRow.constFind(e.stream); it != freshRow.cend()) {
            StreamInfo &info = fresh[*it];
            info.version = qMax(info.version, e.version);
            info.lastMs = qMax(info.lastMs, e.recordedMs);
        } else {
            freshRow.insert(e.stream, int(fresh.size()));
            fresh.append(StreamInfo{e.stream, typeOf ? typeOf(e.stream) : QString(), e.version, e.recordedMs,
                                    e.recordedMs});
        }
    }
    for (int row : std::as_const(changed))
        rowChanged(row);
    appendRows(fresh);
}

QVariant StreamsModel::rowData(const StreamInfo &info, int column, int role) const
{
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case StreamColumn:
            return info.stream;
        case TypeColumn:
            return info.type;
        case VersionColumn:
            return info.version;
        case LastActivityColumn:
            return QDateTime::fromMSecsSinceEpoch(info.lastMs, Qt::UTC).toString(u"yyyy-MM-dd HH:mm:ss"_s);
        }
        return {};
    case SortRole:
        switch (column) {
        case StreamColumn:
            return info.stream;
        case TypeColumn:
            return info.type;
        case VersionColumn:
            return info.version;
        case LastActivityColumn:
            return info.lastMs;
        }
        return {};
    case StreamRole:
        return info.stream;
    case Qt::ToolTipRole:
        return tr("%1 (%2)\n%3 events\nfirst %4\nlast %5")
            .arg(info.stream, info.type)
            .arg(info.version)
            .arg(QDateTime::fromMSecsSinceEpoch(info.firstMs, Qt::UTC).toString(Qt::ISODateWithMs),
                 QDateTime::fromMSecsSinceEpoch(info.lastMs, Qt::UTC).toString(Qt::ISODateWithMs));
    case Qt::TextAlignmentRole:
        if (column == VersionColumn)
            return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    default:
        return {};
    }
}

} // namespace es
