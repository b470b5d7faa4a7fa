#include "timelinemodel.h"

#include "payloadsummary.h"
#include "session.h"

#include <QDateTime>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QThread>

Q_LOGGING_CATEGORY(lcTimeline, "eventscope.timeline", QtInfoMsg)

using namespace Qt::StringLiterals;

namespace es {

TimelineModel::TimelineModel(QObject *parent)
    : QAbstractTableModel(parent)
    , m_generation(std::make_shared<std::atomic<quint64>>(1))
{
    qRegisterMetaType<es::TimelineResult>();
    qRegisterMetaType<es::TimelineRequest>();
}

TimelineModel::~TimelineModel()
{
    stopLoader();
}

void TimelineModel::setSession(Session *session)
{
    stopLoader();
    if (m_session)
        disconnect(m_session, nullptr, this, nullptr);
    beginResetModel();
    m_window.clear();
    m_visibleFirst = m_visibleLast = -1;
    m_session = session;
    m_head = session ? session->head() : 0;
    m_hitCount = -1;
    endResetModel();
    if (session) {
        connect(session, &Session::eventsAppended, this, &TimelineModel::onEventsAppended);
        connect(session, &QObject::destroyed, this, [this] { setSession(nullptr); });
        startLoader();
        anchorAt(0, Reason::Tail);
    }
    Q_EMIT headChanged(m_head);
    updateLoading();
}

Session *TimelineModel::session() const
{
    return m_session.data();
}

void TimelineModel::startLoader()
{
    m_loader = new TimelineLoader(m_generation);
    connect(m_loader, &TimelineLoader::fetched, this, &TimelineModel::onFetched);
    connect(m_loader, &TimelineLoader::failed, this, [this](const QString &message) {
        qCWarning(lcTimeline) << "timeline read failed:" << message;
        m_anchorPending = m_beforePending = m_afterPending = false;
        updateLoading();
        Q_EMIT errorOccurred(message);
    });
    const QString path = m_session->storePath();
    if (path.isEmpty() || path == u":memory:"_s) {
        // One connection only: borrow the session's, in its thread.
        m_loader->useStore(m_session->store());
        return;
    }
    m_thread = new QThread(this);
    m_thread->setObjectName(u"eventscope-timeline"_s);
    m_loader->moveToThread(m_thread);
    m_thread->start();
    QMetaObject::invokeMethod(
        m_loader, [loader = m_loader, path] { loader->openStore(path); }, Qt::QueuedConnection);
}

void TimelineModel::stopLoader()
{
    // Everything in flight is now stale; a running query stops at its next progress check.
    m_generation->fetch_add(1);
    m_anchorPending = m_beforePending = m_afterPending = false;
    if (!m_loader)
        return;
    disconnect(m_loader, nullptr, this, nullptr);
    if (m_thread) {
        QMetaObject::invokeMethod(m_loader, &TimelineLoader::shutdown, Qt::QueuedConnection);
        m_thread->wait();
        delete m_thread;
        m_thread = nullptr;
    } else {
        m_loader->shutdown();
    }
    delete m_loader;
    m_loader = nullptr;
}

void TimelineModel::send(TimelineRequest request)
{
    request.generation = m_generation->load();
    request.filter = m_filter;
    QMetaObject::invokeMethod(
        m_loader, [loader = m_loader, request] { loader->fetch(request); }, Qt::QueuedConnection);
}

void TimelineModel::setFilter(const SearchFilter &filter, qint64 anchorPosition)
{
    if (filter == m_filter)
        return;
    m_filter = filter;
    m_hitCount = -1;
    m_hitCountCapped = false;
    Q_EMIT hitCountChanged();
    anchorAt(anchorPosition, anchorPosition > 0 ? Reason::Scroll : Reason::Tail);
}

void TimelineModel::setWindowCapacity(int rows, int margin)
{
    m_window.setCapacity(rows, margin);
}

void TimelineModel::anchorAt(qint64 position, Reason reason)
{
    if (!m_loader)
        return;
    m_generation->fetch_add(1);
    m_beforePending = m_afterPending = false;
    m_anchorPending = true;
    m_anchorReason = reason;
    m_anchorRequested = position;
    TimelineRequest r;
    r.kind = TimelineRequest::Anchor;
    r.position = position;
    r.before = AnchorRowsBefore;
    r.after = AnchorRowsAfter;
    send(r);
    if (!m_filter.text.isEmpty() && m_hitCount < 0) {
        // Counted after the first page, in the same generation: a new filter or a jump supersedes it.
        TimelineRequest count;
        count.kind = TimelineRequest::Count;
        send(count);
    }
    updateLoading();
}

void TimelineModel::anchorAtTime(qint64 ms, Reason reason)
{
    if (!m_loader)
        return;
    m_generation->fetch_add(1);
    m_beforePending = m_afterPending = false;
    m_anchorPending = true;
    m_anchorReason = reason;
    m_anchorRequested = -1;
    TimelineRequest r;
    r.kind = TimelineRequest::AnchorTime;
    r.timeMs = ms;
    r.before = AnchorRowsBefore;
    r.after = AnchorRowsAfter;
    send(r);
    updateLoading();
}

void TimelineModel::setVisibleRows(int first, int last)
{
    m_visibleFirst = first;
    m_visibleLast = last;
    fetchEdges();
}

qint64 TimelineModel::positionAt(int row) const
{
    return row >= 0 && row < m_window.size() ? m_window.at(row).position : 0;
}

const EventSummary *TimelineModel::summaryAt(int row) const
{
    return row >= 0 && row < m_window.size() ? &m_window.at(row) : nullptr;
}

void TimelineModel::onFetched(const TimelineResult &result)
{
    if (result.generation != m_generation->load())
        return; // superseded (a jump, a filter, another store)
    setHead(std::max(m_head, result.head));
    switch (result.kind) {
    case TimelineRequest::Count:
        m_hitCount = result.count;
        m_hitCountCapped = result.countCapped;
        Q_EMIT hitCountChanged();
        return;
    case TimelineRequest::Anchor:
    case TimelineRequest::AnchorTime:
        m_anchorPending = false;
        applyAnchor(result);
        break;
    case TimelineRequest::Before:
        m_beforePending = false;
        // A page joins the window only if nothing was trimmed in between.
        if (m_window.start() <= result.end + 1) {
            insertTop(m_window.freshBefore(result.rows), result.start);
            trim(false);
        }
        break;
    case TimelineRequest::After:
        m_afterPending = false;
        if (m_window.end() >= result.start - 1) {
            insertBottom(m_window.freshAfter(result.rows), result.end);
            trim(true);
            // The window was following the head and more came meanwhile.
            if (result.end >= result.head && !m_window.reachesEnd(m_head)) {
                TimelineRequest r;
                r.kind = TimelineRequest::After;
                r.position = m_window.end();
                r.after = PageRows;
                m_afterPending = true;
                send(r);
            }
        }
        break;
    }
    qCDebug(lcTimeline) << "fetched" << result.kind << result.rows.size() << "rows in" << result.elapsedUs << "us";
    fetchEdges();
    updateLoading();
}

void TimelineModel::applyAnchor(const TimelineResult &result)
{
    // The view reports rows while it resets and before it scrolls to the
    // anchor: edges are judged once it has (fetchEdges after this returns).
    m_positioning = true;
    beginResetModel();
    m_window.reset(result.rows, result.start, result.end);
    m_visibleFirst = m_visibleLast = -1;
    endResetModel();
    Q_EMIT anchored(result.anchorRow, m_anchorReason, result.anchorPosition);
    m_positioning = false;
}

void TimelineModel::insertTop(const EventSummaryList &fresh, qint64 newStart)
{
    if (fresh.isEmpty()) {
        m_window.prepend({}, newStart);
        return;
    }
    const int n = int(fresh.size());
    beginInsertRows({}, 0, n - 1);
    m_window.prepend(fresh, newStart);
    // Before endInsertRows: a view reports its rows again from its handler.
    if (m_visibleFirst >= 0) {
        m_visibleFirst += n;
        m_visibleLast += n;
    }
    endInsertRows();
}

void TimelineModel::insertBottom(const EventSummaryList &fresh, qint64 newEnd)
{
    if (fresh.isEmpty()) {
        m_window.append({}, newEnd);
        return;
    }
    const int first = m_window.size();
    beginInsertRows({}, first, first + int(fresh.size()) - 1);
    m_window.append(fresh, newEnd);
    endInsertRows();
}

void TimelineModel::trim(bool grewAtBottom)
{
    const TimelineWindow::Trim t = m_window.trimFor(m_visibleFirst, m_visibleLast, grewAtBottom);
    if (t.top == 0 && t.bottom == 0)
        return;
    qCDebug(lcTimeline) << "trim" << t.top << t.bottom << m_visibleFirst << m_visibleLast << m_window.size();
    Q_EMIT aboutToTrim();
    if (t.top > 0) {
        beginRemoveRows({}, 0, t.top - 1);
        m_window.removeTop(t.top);
        if (m_visibleFirst >= 0) {
            m_visibleFirst = std::max(0, m_visibleFirst - t.top);
            m_visibleLast = std::max(0, m_visibleLast - t.top);
        }
        endRemoveRows();
    }
    if (t.bottom > 0) {
        const int n = m_window.size();
        beginRemoveRows({}, n - t.bottom, n - 1);
        m_window.removeBottom(t.bottom);
        endRemoveRows();
    }
    Q_EMIT trimmed();
}

void TimelineModel::fetchEdges()
{
    if (!m_loader || m_anchorPending || m_positioning)
        return;
    const TimelineWindow::Edges e = m_window.edgesToFetch(m_visibleFirst, m_visibleLast, m_head);
    if (e.before && !m_beforePending) {
        qCDebug(lcTimeline) << "fetch before" << m_visibleFirst << m_visibleLast << m_window.size() << m_window.start()
                            << m_window.end();
        TimelineRequest r;
        r.kind = TimelineRequest::Before;
        r.position = m_window.start();
        r.before = PageRows;
        m_beforePending = true;
        send(r);
    }
    if (e.after && !m_afterPending) {
        TimelineRequest r;
        r.kind = TimelineRequest::After;
        r.position = m_window.end();
        r.after = PageRows;
        m_afterPending = true;
        send(r);
    }
    updateLoading();
}

void TimelineModel::onEventsAppended(const EventList &events)
{
    if (events.isEmpty() || !m_loader)
        return;
    // The window follows the head only if it reached it before these events.
    const bool following = !m_anchorPending && m_window.reachesEnd(m_head);
    setHead(std::max(m_head, events.constLast().position));
    if (!following) {
        fetchEdges();
        return;
    }
    if (m_filter.isEmpty() && events.constFirst().position <= m_window.end() + 1) {
        // Unfiltered and contiguous: the signal carries the rows, no read needed.
        EventSummaryList fresh;
        fresh.reserve(events.size());
        for (const RecordedEvent &e : events)
            if (e.position > m_window.end())
                fresh.append(summaryOf(e));
        insertBottom(fresh, events.constLast().position);
        trim(true);
    } else if (!m_afterPending) {
        // Filters (full text included) are the loader's to evaluate.
        TimelineRequest r;
        r.kind = TimelineRequest::After;
        r.position = m_window.end();
        r.after = PageRows;
        m_afterPending = true;
        send(r);
    }
    updateLoading();
}

void TimelineModel::setHead(qint64 head)
{
    if (head == m_head)
        return;
    m_head = head;
    Q_EMIT headChanged(head);
}

void TimelineModel::updateLoading()
{
    const bool loading = isLoading();
    if (loading == m_wasLoading)
        return;
    m_wasLoading = loading;
    Q_EMIT loadingChanged(loading);
}

EventSummary TimelineModel::summaryOf(const RecordedEvent &event)
{
    EventSummary s;
    s.position = event.position;
    s.recordedMs = event.recordedMs;
    s.version = event.version;
    s.stream = event.stream;
    s.type = event.type;
    const QJsonObject md = event.metadataObject();
    s.actor = md.value(meta::Actor).toString();
    s.correlationId = md.value(meta::CorrelationId).toString();
    // At most 4 UTF-8 bytes a character: converting this much is enough.
    constexpr qsizetype PrefixBytes = qsizetype(EventSearch::DataPrefixChars) * 4;
    s.dataPrefix = QString::fromUtf8(event.data.left(PrefixBytes)).left(EventSearch::DataPrefixChars);
    return s;
}

int TimelineModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : m_window.size();
}

int TimelineModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString TimelineModel::timeText(qint64 ms)
{
    // Without the year: the column stays narrow; the tooltip and the inspector give the whole date.
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(u"MM-dd HH:mm:ss.zzz"_s);
}

QVariant TimelineModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const EventSummary &e = m_window.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case PositionColumn:
            return QString::number(e.position);
        case TimeColumn:
            return timeText(e.recordedMs);
        case StreamColumn:
            return e.stream;
        case VersionColumn:
            return QString::number(e.version);
        case TypeColumn:
            return e.type;
        case ActorColumn:
            return e.actor;
        case CorrelationColumn:
            return e.correlationId;
        case PayloadColumn:
            return PayloadSummary::of(e.dataPrefix, e.dataPrefix.size() >= EventSearch::DataPrefixChars);
        default:
            return {};
        }
    case Qt::ToolTipRole:
        switch (index.column()) {
        case TimeColumn:
            return QDateTime::fromMSecsSinceEpoch(e.recordedMs, Qt::UTC).toString(Qt::ISODateWithMs);
        case PayloadColumn:
            return e.dataPrefix.size() >= EventSearch::DataPrefixChars ? e.dataPrefix + u'…' : e.dataPrefix;
        default:
            return data(index, Qt::DisplayRole);
        }
    case Qt::TextAlignmentRole:
        if (index.column() == PositionColumn || index.column() == VersionColumn)
            return QVariant::fromValue(Qt::Alignment(Qt::AlignRight | Qt::AlignVCenter));
        return {};
    case PositionRole:
        return e.position;
    case EventTypeRole:
        return e.type;
    case RecordedMsRole:
        return e.recordedMs;
    case StreamRole:
        return e.stream;
    default:
        return {};
    }
}

QVariant TimelineModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case PositionColumn:
        return tr("Position");
    case TimeColumn:
        return tr("Time (UTC)");
    case StreamColumn:
        return tr("Stream");
    case VersionColumn:
        return tr("Version");
    case TypeColumn:
        return tr("Type");
    case ActorColumn:
        return tr("Actor");
    case CorrelationColumn:
        return tr("Correlation");
    case PayloadColumn:
        return tr("Payload");
    default:
        return {};
    }
}

} // namespace es
