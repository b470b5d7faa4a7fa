#include "timelineview.h"

#include "common/historicalbanner.h"
#include "common/teardown.h"

#include "eventstore.h"
#include "gototarget.h"
#include "session.h"
#include "timelinedelegate.h"
#include "timelinefilterbar.h"
#include "timelinemodel.h"
#include "timelinetable.h"

#include <QAction>
#include <QCheckBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QScrollBar>
#include <QSet>
#include <QSignalBlocker>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace es {

TimelineView::TimelineView(QWidget *parent)
    : QWidget(parent)
    , m_model(new TimelineModel(this))
    , m_filterBar(new TimelineFilterBar(this))
    , m_table(new TimelineTable(this))
    , m_scrollBar(new QScrollBar(Qt::Vertical, this))
    , m_gotoEdit(new QLineEdit(this))
    , m_follow(new QCheckBox(tr("Follow live"), this))
    , m_status(new QLabel(this))
    , m_gotoAction(new QAction(tr("Go to Position or Time…"), this))
    , m_findAction(new QAction(tr("Search Payloads"), this))
    , m_followAction(new QAction(tr("Follow Live"), this))
    , m_indexer(new EventSearch(this))
{
    setObjectName(u"timelineView"_s);
    m_filterBar->setObjectName(u"timelineFilters"_s);
    m_table->setObjectName(u"timelineTable"_s);
    m_scrollBar->setObjectName(u"positionScrollBar"_s);
    m_gotoEdit->setObjectName(u"gotoEdit"_s);
    m_follow->setObjectName(u"followLive"_s);
    m_status->setObjectName(u"timelineStatus"_s);
    m_gotoAction->setObjectName(u"gotoAction"_s);
    m_findAction->setObjectName(u"findAction"_s);
    m_followAction->setObjectName(u"followAction"_s);

    m_gotoEdit->setPlaceholderText(tr("Go to position or time (Ctrl+G)"));
    m_gotoEdit->setToolTip(tr("A global position (1234567) or a time, UTC unless an offset is given "
                              "(2025-11-25 12:00, 2025-11-25T12:00:00.250Z). Return jumps."));
    m_gotoEdit->setClearButtonEnabled(true);
    m_gotoEdit->setMaximumWidth(260);
    m_follow->setToolTip(tr("Show new events as they are appended, by this workbench or any other process (Ctrl+L)"));
    m_status->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_status->setTextFormat(Qt::PlainText);

    auto *controls = new QHBoxLayout;
    controls->setContentsMargins(0, 0, 0, 0);
    controls->addWidget(m_gotoEdit);
    controls->addWidget(m_follow);
    controls->addWidget(m_status, 1);

    auto *body = new QHBoxLayout;
    body->setContentsMargins(0, 0, 0, 0);
    body->setSpacing(0);
    body->addWidget(m_table, 1);
    body->addWidget(m_scrollBar);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->setSpacing(4);
    m_historical = new HistoricalBanner(tr("As Of #%1 is set: this timeline still lists the live log, events after #%1 included."), this);
    layout->addWidget(m_historical);
    layout->addWidget(m_filterBar);
    layout->addLayout(controls);
    layout->addLayout(body, 1);

    // The table holds a window of the log: its own scrollbar would describe
    // the window; the one beside it describes the log.
    m_table->setModel(m_model);
    m_delegate = new TimelineDelegate(m_table);
    m_table->setItemDelegate(m_delegate);
    m_table->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_table->setVerticalScrollMode(QAbstractItemView::ScrollPerItem);
    m_table->setHorizontalScrollMode(QAbstractItemView::ScrollPerPixel);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setWordWrap(false);
    m_table->setShowGrid(false);
    m_table->setAlternatingRowColors(true);
    m_table->verticalHeader()->hide();
    // Fixed row heights: the view never measures rows.
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_table->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 6);
    QHeaderView *header = m_table->horizontalHeader();
    header->setSectionsMovable(true);
    header->setHighlightSections(false);
    header->setStretchLastSection(false);
    header->setSectionResizeMode(QHeaderView::Interactive);
    // The correlation id (a long uuid, shown whole in the inspector) after the payload.
    header->moveSection(header->visualIndex(TimelineModel::CorrelationColumn), TimelineModel::PayloadColumn);
    fitColumns();
    connect(header, &QHeaderView::sectionResized, this, [this] {
        if (!m_fittingColumns)
            m_userSizedColumns = true; // a width the user chose stays
    });
    m_scrollBar->setRange(0, 0);

    m_follow->setChecked(m_followLive);
    m_followAction->setCheckable(true);
    m_followAction->setChecked(m_followLive);
    m_gotoAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_G));
    m_findAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_F));
    m_followAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
    for (QAction *a : {m_gotoAction, m_findAction, m_followAction}) {
        a->setShortcutContext(Qt::WidgetWithChildrenShortcut);
        addAction(a);
    }
    connect(m_gotoAction, &QAction::triggered, this, [this] {
        m_gotoEdit->setFocus(Qt::ShortcutFocusReason);
        m_gotoEdit->selectAll();
    });
    connect(m_findAction, &QAction::triggered, this, [this] {
        m_filterBar->searchEdit()->setFocus(Qt::ShortcutFocusReason);
        m_filterBar->searchEdit()->selectAll();
    });
    connect(m_followAction, &QAction::toggled, this, &TimelineView::setFollowLive);
    connect(m_follow, &QCheckBox::toggled, this, &TimelineView::setFollowLive);
    connect(m_gotoEdit, &QLineEdit::returnPressed, this, &TimelineView::onGoto);
    connect(m_filterBar, &TimelineFilterBar::filterChanged, this, &TimelineView::onFilterChanged);

    connect(m_model, &TimelineModel::anchored, this, [this](int row, TimelineModel::Reason reason, qint64 requested) {
        onAnchored(row, int(reason), requested);
    });
    connect(m_model, &TimelineModel::headChanged, this, [this] {
        fitColumns(); // the position column widens with the head's digits
        updateScrollBar();
        updateStatus();
    });
    connect(m_model, &TimelineModel::loadingChanged, this, &TimelineView::updateStatus);
    connect(m_model, &TimelineModel::hitCountChanged, this, &TimelineView::updateStatus);
    connect(m_model, &TimelineModel::errorOccurred, this, [this](const QString &message) {
        m_message = message;
        updateStatus();
    });
    connect(m_model, &TimelineModel::aboutToTrim, this, [this] { m_trimming = true; });
    connect(m_model, &TimelineModel::trimmed, this, [this] {
        m_trimming = false;
        restoreCurrent();
    });
    // Rows that come and go above the view must not move what the user looks at.
    connect(m_model, &QAbstractItemModel::rowsAboutToBeInserted, this,
            [this](const QModelIndex &, int first, int) { onRowsAboutToChange(first); });
    connect(m_model, &QAbstractItemModel::rowsAboutToBeRemoved, this,
            [this](const QModelIndex &, int first, int) { onRowsAboutToChange(first); });
    connect(m_model, &QAbstractItemModel::rowsInserted, this, [this](const QModelIndex &, int first, int last) {
        if (first == 0 && m_scrollBeforeChange >= 0)
            onRowsInsertedAtTop(first, last);
        else if (last == m_model->rowCount() - 1)
            onRowsAppended();
        m_scrollBeforeChange = -1;
    });
    connect(m_model, &QAbstractItemModel::rowsRemoved, this, [this](const QModelIndex &, int first, int last) {
        if (first == 0 && m_scrollBeforeChange >= 0)
            onRowsRemovedAtTop(first, last);
        m_scrollBeforeChange = -1;
        onTableScrolled();
    });

    connect(m_table->verticalScrollBar(), &QScrollBar::valueChanged, this, &TimelineView::onTableScrolled);
    connect(m_table->verticalScrollBar(), &QScrollBar::rangeChanged, this, &TimelineView::onTableScrolled);
    connect(m_table, &TimelineTable::userScrolled, this, &TimelineView::onUserScrolled);
    connect(m_table, &TimelineTable::logStartRequested, this, [this] {
        setFollowLive(false);
        revealPosition(1);
    });
    connect(m_table, &TimelineTable::logEndRequested, this, [this] { setFollowLive(true); });
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex &current) { onCurrentRowChanged(current); });
    connect(m_table, &QAbstractItemView::activated, this, [this](const QModelIndex &index) {
        const qint64 p = m_model->positionAt(index.row());
        if (p > 0)
            Q_EMIT eventActivated(loadEvent(p));
    });
    connect(m_scrollBar, &QScrollBar::actionTriggered, this, &TimelineView::onScrollBarAction);
    connect(m_scrollBar, &QScrollBar::valueChanged, this, &TimelineView::onScrollBarValue);
    connect(m_indexer, &EventSearch::progress, this, &TimelineView::updateStatus);

    updateStatus();
}

TimelineView::~TimelineView()
{
    disconnectDescendants(this);
    // The indexer and the loader threads end before the widgets go.
    m_indexer->stop();
    m_model->setSession(nullptr);
}

Session *TimelineView::session() const
{
    return m_session.data();
}

QAbstractItemModel *TimelineView::model() const
{
    return m_model;
}

QTableView *TimelineView::tableView() const
{
    return m_table;
}

void TimelineView::setSession(Session *session)
{
    m_indexer->stop();
    if (m_session)
        disconnect(m_session, nullptr, this, nullptr);
    m_model->setSession(nullptr);
    m_session = session;
    m_currentPosition = 0;
    m_revealPosition = 0;
    m_message.clear();
    {
        // Streams and correlations belong to the store that was open.
        const QSignalBlocker blocker(m_filterBar);
        m_filterBar->clear();
    }
    m_model->setFilter(SearchFilter{}, 0);
    m_filterBar->setKnownTypes({});
    if (session) {
        if (auto types = EventSearch::eventTypes(*session->store()))
            m_filterBar->setKnownTypes(*types);
        fitColumns();
        connect(session, &QObject::destroyed, this, [this] {
            // The store is gone with its session: so is the reason to index it.
            m_indexer->stop();
            m_currentPosition = 0;
            updateStatus();
        });
        connect(session, &Session::eventsAppended, this, [this](const EventList &events) {
            m_indexer->wake();
            QSet<QString> types;
            for (const RecordedEvent &e : events)
                types.insert(e.type);
            const qsizetype known = m_filterBar->knownTypes().size();
            m_filterBar->addKnownTypes(types.values());
            if (m_filterBar->knownTypes().size() != known)
                fitColumns();
        });
        connect(session, &Session::healthChanged, this, [this] {
            if (m_session && m_session->mayWrite())
                startIndexer();
            else
                m_indexer->stop();
        });
        startIndexer();
    }
    m_model->setSession(session);
    updateScrollBar();
    updateStatus();
}

void TimelineView::setIndexingEnabled(bool on)
{
    if (on == m_indexingEnabled)
        return;
    m_indexingEnabled = on;
    if (on)
        startIndexer();
    else
        m_indexer->stop();
    updateStatus();
}

void TimelineView::startIndexer()
{
    // The index is written into the store: not before its check's verdict, never into a damaged one.
    if (!m_indexingEnabled || !m_session || !m_session->mayWrite())
        return;
    const QString path = m_session->storePath();
    if (path.isEmpty() || path == u":memory:"_s)
        return; // the search matches the unindexed tail by substring
    m_indexer->start(path);
}

SearchFilter TimelineView::filter() const
{
    return m_filterBar->filter();
}

void TimelineView::setFilter(const SearchFilter &filter)
{
    m_filterBar->setFilter(filter);
}

void TimelineView::setStreamFilter(const QString &stream)
{
    m_filterBar->setStream(stream);
}

void TimelineView::setCorrelationFilter(const QString &correlationId)
{
    m_filterBar->setCorrelation(correlationId);
}

void TimelineView::clearFilters()
{
    m_filterBar->clear();
}

void TimelineView::onFilterChanged(const SearchFilter &filter)
{
    // Stay where the user was: at the newest events when following, else at
    // the selected event or the top row.
    qint64 anchor = 0;
    if (!m_followLive)
        anchor = m_currentPosition > 0 ? m_currentPosition : topPosition();
    m_model->setFilter(filter, anchor);
    m_delegate->setHighlightTerms(filter.text.isEmpty() ? QStringList() : EventSearch::terms(filter.text));
    m_table->viewport()->update();
    updateStatus();
}

qint64 TimelineView::topPosition() const
{
    return m_model->positionAt(m_table->firstVisibleRow());
}

void TimelineView::revealPosition(qint64 position)
{
    if (!m_session)
        return;
    if (m_followLive && position < m_model->head())
        setFollowLive(false);
    const int row = m_model->rowOf(position);
    if (row >= 0 && !m_model->isAnchorPending()) {
        m_revealPosition = 0;
        const QModelIndex index = m_model->index(row, 0);
        m_table->selectionModel()->setCurrentIndex(index,
                                                   QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
        m_table->scrollTo(index, QAbstractItemView::PositionAtCenter);
        onTableScrolled();
        return;
    }
    m_revealPosition = position;
    m_model->anchorAt(position, TimelineModel::Reason::Reveal);
}

void TimelineView::revealTime(qint64 ms)
{
    if (!m_session)
        return;
    setFollowLive(false);
    m_model->anchorAtTime(ms, TimelineModel::Reason::Reveal);
}

void TimelineView::setFollowLive(bool on)
{
    if (on != m_followLive) {
        m_followLive = on;
        const QSignalBlocker b1(m_follow), b2(m_followAction);
        m_follow->setChecked(on);
        m_followAction->setChecked(on);
        Q_EMIT followLiveChanged(on);
    }
    if (on)
        scrollToNewest();
    updateStatus();
}

void TimelineView::scrollToNewest()
{
    if (!m_session)
        return;
    if (!m_model->isAnchorPending() && m_model->reachesEnd()) {
        m_table->syncGeometries();
        m_table->scrollToBottom();
    } else {
        m_model->anchorAt(0, TimelineModel::Reason::Tail);
    }
}

void TimelineView::onAnchored(int row, int reason, qint64 requested)
{
    Q_UNUSED(requested);
    m_table->syncGeometries();
    if (row >= 0) {
        const QModelIndex index = m_model->index(row, 0);
        switch (TimelineModel::Reason(reason)) {
        case TimelineModel::Reason::Tail:
            m_table->scrollToBottom();
            restoreCurrent();
            break;
        case TimelineModel::Reason::Reveal:
            m_revealPosition = 0;
            m_table->selectionModel()->setCurrentIndex(index,
                                                       QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
            m_table->scrollTo(index, QAbstractItemView::PositionAtCenter);
            break;
        case TimelineModel::Reason::Scroll:
            m_table->verticalScrollBar()->setValue(row); // the anchor at the top
            restoreCurrent();
            break;
        }
    }
    onTableScrolled();
    updateStatus();
}

void TimelineView::restoreCurrent()
{
    QItemSelectionModel *sm = m_table->selectionModel();
    const int row = m_model->rowOf(m_currentPosition);
    m_restoring = true;
    if (m_currentPosition > 0 && row >= 0) {
        if (sm->currentIndex().row() != row)
            sm->setCurrentIndex(m_model->index(row, 0),
                                QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    } else if (sm->currentIndex().isValid()) {
        // The selected event left the window (it comes back with it).
        sm->clearCurrentIndex();
    }
    m_restoring = false;
}

void TimelineView::onCurrentRowChanged(const QModelIndex &current)
{
    if (m_trimming || m_restoring || !current.isValid())
        return;
    const qint64 position = m_model->positionAt(current.row());
    if (position <= 0 || position == m_currentPosition)
        return;
    m_currentPosition = position;
    Q_EMIT eventSelected(loadEvent(position));
}

void TimelineView::onRowsAboutToChange(int first)
{
    m_scrollBeforeChange = (first == 0 && m_model->rowCount() > 0) ? m_table->verticalScrollBar()->value() : -1;
}

void TimelineView::onRowsInsertedAtTop(int first, int last)
{
    m_table->syncGeometries();
    m_table->verticalScrollBar()->setValue(m_scrollBeforeChange + (last - first + 1));
}

void TimelineView::onRowsRemovedAtTop(int first, int last)
{
    m_table->syncGeometries();
    m_table->verticalScrollBar()->setValue(std::max(0, m_scrollBeforeChange - (last - first + 1)));
}

void TimelineView::onRowsAppended()
{
    if (m_followLive) {
        m_table->syncGeometries();
        m_table->scrollToBottom();
    }
    onTableScrolled();
}

void TimelineView::onTableScrolled()
{
    const int first = m_table->firstVisibleRow();
    m_model->setVisibleRows(first, m_table->lastVisibleRow());
    updateStatus();
    if (m_scrollBar->isSliderDown())
        return; // the user's hand is on it
    const QSignalBlocker blocker(m_scrollBar);
    if (first < 0)
        m_scrollBar->setValue(m_followLive ? m_scrollBar->maximum() : 0);
    else
        m_scrollBar->setValue(m_map.valueFor(m_model->positionAt(first)));
}

void TimelineView::onUserScrolled()
{
    if (!m_followLive)
        return;
    const bool atBottom = m_model->reachesEnd() && m_table->lastVisibleRow() >= m_model->rowCount() - 1;
    if (!atBottom)
        setFollowLive(false);
}

void TimelineView::onScrollBarAction(int action)
{
    switch (action) {
    case QAbstractSlider::SliderSingleStepAdd:
    case QAbstractSlider::SliderSingleStepSub:
    case QAbstractSlider::SliderPageStepAdd:
    case QAbstractSlider::SliderPageStepSub:
        // Steps move by rows (matches, when filtered), not by positions.
        m_scrollBar->setSliderPosition(m_scrollBar->value());
        m_table->verticalScrollBar()->triggerAction(QAbstractSlider::SliderAction(action));
        onUserScrolled();
        break;
    case QAbstractSlider::SliderToMinimum:
        m_scrollBar->setSliderPosition(m_scrollBar->value());
        setFollowLive(false);
        m_model->anchorAt(1, TimelineModel::Reason::Scroll);
        break;
    case QAbstractSlider::SliderToMaximum:
        m_scrollBar->setSliderPosition(m_scrollBar->value());
        setFollowLive(true);
        break;
    default:
        break;
    }
}

void TimelineView::onScrollBarValue(int value)
{
    if (!m_session)
        return;
    const qint64 position = m_map.positionFor(value);
    if (m_followLive && value < m_scrollBar->maximum())
        setFollowLive(false);
    const TimelineWindow &w = m_model->window();
    if (!m_model->isAnchorPending() && position >= w.start() && position <= w.end()) {
        const int row = w.rowAtOrAfter(position);
        const bool filled = row + m_table->visibleRowCapacity() <= w.size() || w.reachesEnd(m_model->head());
        if (row < w.size() && filled) {
            m_table->verticalScrollBar()->setValue(row);
            return;
        }
    }
    m_model->anchorAt(position, TimelineModel::Reason::Scroll);
}

void TimelineView::onGoto()
{
    const GotoTarget target = GotoTarget::parse(m_gotoEdit->text());
    switch (target.kind) {
    case GotoTarget::Position:
        m_message.clear();
        m_gotoEdit->setStyleSheet(QString());
        revealPosition(std::max<qint64>(1, target.position));
        break;
    case GotoTarget::Time:
        m_message.clear();
        m_gotoEdit->setStyleSheet(QString());
        revealTime(target.timeMs);
        break;
    case GotoTarget::Invalid:
        m_gotoEdit->setStyleSheet(u"QLineEdit { color: #b00020; }"_s);
        m_message = tr("Type a position (1234567) or a UTC time (2025-11-25 12:00)");
        break;
    }
    updateStatus();
}

void TimelineView::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    updateScrollBar();
    fitColumns();
}

void TimelineView::fitColumns()
{
    if (m_userSizedColumns)
        return;
    m_fittingColumns = true;
    QHeaderView *header = m_table->horizontalHeader();
    const QFontMetrics fm = m_table->fontMetrics();
    const int digit = fm.horizontalAdvance(u'0');
    const int pad = 14; // cell margins and the header's sort room
    auto fit = [&](int column, int content) {
        const int title = QFontMetrics(header->font())
                              .horizontalAdvance(m_model->headerData(column, Qt::Horizontal).toString());
        header->resizeSection(column, std::max(content, title) + pad);
    };
    const int positionDigits = std::max(4, int(QString::number(std::max<qint64>(m_model->head(), 1)).size()));
    fit(TimelineModel::PositionColumn, digit * positionDigits + 6); // and the type stripe
    fit(TimelineModel::TimeColumn, fm.horizontalAdvance(TimelineModel::timeText(0)));
    fit(TimelineModel::StreamColumn, digit * 12);
    fit(TimelineModel::VersionColumn, digit * 4);
    int longestType = digit * 10;
    for (const QString &t : m_filterBar->knownTypes())
        longestType = std::max(longestType, fm.horizontalAdvance(t));
    fit(TimelineModel::TypeColumn, std::min(longestType, digit * 28) + 16); // the chip's padding
    fit(TimelineModel::ActorColumn, digit * 9);
    fit(TimelineModel::CorrelationColumn, digit * 14);
    int used = 0;
    for (int c = 0; c < TimelineModel::ColumnCount; ++c)
        if (c != TimelineModel::PayloadColumn && c != TimelineModel::CorrelationColumn && !header->isSectionHidden(c))
            used += header->sectionSize(c);
    header->resizeSection(TimelineModel::PayloadColumn,
                          std::max(digit * 24, m_table->viewport()->width() - used));
    m_fittingColumns = false;
}

void TimelineView::updateScrollBar()
{
    m_map = ScrollMap(1, m_model->head());
    const int visible = m_table->visibleRowCapacity();
    {
        const QSignalBlocker blocker(m_scrollBar);
        m_scrollBar->setRange(0, m_map.scrollMaximum(visible));
        m_scrollBar->setPageStep(m_map.stepsFor(visible));
        m_scrollBar->setSingleStep(m_map.stepsFor(3));
    }
    onTableScrolled();
}

void TimelineView::updateStatus()
{
    if (!m_session) {
        m_status->setText(tr("No store open."));
        return;
    }
    QStringList parts;
    parts << tr("head %L1").arg(m_model->head());
    const int first = m_table->firstVisibleRow();
    if (first >= 0)
        parts << tr("at %L1").arg(m_model->positionAt(first));
    else if (!m_model->isLoading())
        parts << (m_model->filter().isEmpty() ? tr("empty") : tr("no match here"));
    if (!m_model->filter().text.isEmpty()) {
        const qint64 hits = m_model->hitCount();
        parts << (hits < 0                     ? tr("counting hits…")
                  : m_model->hitCountCapped() ? tr("more than %L1 hits").arg(hits)
                  : hits == 1                  ? tr("1 hit")
                                               : tr("%L1 hits").arg(hits));
    } else if (!m_model->filter().isEmpty()) {
        parts << tr("filtered");
    }
    if (m_model->isLoading())
        parts << tr("loading…");
    if (m_indexer->isRunning() && m_indexer->headPosition() > 0) { // once it has reported
        const qint64 head = std::max(m_indexer->headPosition(), qint64(1));
        const qint64 indexed = m_indexer->indexedPosition();
        if (indexed < head)
            parts << tr("search index %1%").arg(int(100.0 * double(indexed) / double(head)));
    }
    if (!m_message.isEmpty())
        parts << m_message;
    m_status->setText(parts.join(u" · "_s));
}

RecordedEvent TimelineView::loadEvent(qint64 position) const
{
    if (!m_session || position <= 0)
        return {};
    EventQuery q;
    q.fromPosition = position;
    q.toPosition = position;
    q.limit = 1;
    auto events = m_session->store()->query(q);
    return events && !events->isEmpty() ? events->constFirst() : RecordedEvent{};
}

void TimelineView::setAsOfPosition(qint64 position)
{
    m_historical->setAsOfPosition(position);
}

} // namespace es
