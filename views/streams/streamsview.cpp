#include "streamsview.h"

#include "common/eventlistmodel.h"
#include "common/teardown.h"
#include "session.h"
#include "streamsfilterproxy.h"
#include "streamsmodel.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QScrollBar>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace es {

namespace {
void setUpTable(QTableView *t)
{
    t->setSelectionBehavior(QAbstractItemView::SelectRows);
    t->setSelectionMode(QAbstractItemView::SingleSelection);
    t->setEditTriggers(QAbstractItemView::NoEditTriggers);
    t->setAlternatingRowColors(true);
    t->setWordWrap(false);
    t->verticalHeader()->hide();
    t->verticalHeader()->setDefaultSectionSize(t->fontMetrics().height() + 6);
    t->horizontalHeader()->setHighlightSections(false);
}
} // namespace

StreamsView::StreamsView(QWidget *parent)
    : QWidget(parent)
    , m_model(new StreamsModel(this))
    , m_proxy(new StreamsFilterProxy(this))
    , m_events(new EventListModel(this))
    , m_filter(new QLineEdit(this))
    , m_mode(new QComboBox(this))
    , m_count(new QLabel(this))
    , m_table(new QTableView(this))
    , m_eventsTitle(new QLabel(this))
    , m_eventTable(new QTableView(this))
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    auto *filterRow = new QHBoxLayout;
    m_filter->setObjectName(u"streamFilter"_s);
    m_filter->setPlaceholderText(tr("Filter streams by id or type"));
    m_filter->setClearButtonEnabled(true);
    m_mode->setObjectName(u"filterMode"_s);
    m_mode->addItem(tr("contains"), int(StreamsFilterProxy::Mode::Contains));
    m_mode->addItem(tr("starts with"), int(StreamsFilterProxy::Mode::Prefix));
    m_mode->setToolTip(tr("“contains” also matches the type; “starts with” searches the whole store"));
    filterRow->addWidget(m_filter, 1);
    filterRow->addWidget(m_mode);
    layout->addLayout(filterRow);
    m_count->setObjectName(u"streamCount"_s);
    m_count->setWordWrap(true);
    layout->addWidget(m_count);

    m_proxy->setSourceModel(m_model);
    m_table->setObjectName(u"streamsTable"_s);
    m_table->setModel(m_proxy);
    setUpTable(m_table);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(StreamsModel::StreamColumn, Qt::AscendingOrder);
    m_table->horizontalHeader()->setSectionResizeMode(StreamsModel::StreamColumn, QHeaderView::Stretch);
    m_table->horizontalHeader()->setSectionResizeMode(StreamsModel::TypeColumn, QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(StreamsModel::VersionColumn, QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(StreamsModel::LastActivityColumn,
                                                      QHeaderView::ResizeToContents);

    auto *lower = new QWidget(this);
    auto *lowerLayout = new QVBoxLayout(lower);
    lowerLayout->setContentsMargins(0, 0, 0, 0);
    m_eventsTitle->setObjectName(u"streamEventsTitle"_s);
    m_eventsTitle->setTextFormat(Qt::RichText);
    m_eventsTitle->setWordWrap(true);
    lowerLayout->addWidget(m_eventsTitle);
    m_eventTable->setObjectName(u"streamEvents"_s);
    m_eventTable->setModel(m_events);
    setUpTable(m_eventTable);
    m_eventTable->setColumnHidden(EventListModel::StreamColumn, true);
    m_eventTable->setColumnHidden(EventListModel::RecordedColumn, true);
    m_eventTable->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_eventTable->horizontalHeader()->setStretchLastSection(true);
    m_eventTable->setToolTip(tr("Double-click an event to show it in the timeline"));
    lowerLayout->addWidget(m_eventTable, 1);

    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(m_table);
    splitter->addWidget(lower);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    splitter->setChildrenCollapsible(false);
    layout->addWidget(splitter, 1);

    connect(m_filter, &QLineEdit::textChanged, this, &StreamsView::applyFilter);
    connect(m_mode, &QComboBox::currentIndexChanged, this, &StreamsView::applyFilter);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex &current) { onCurrentChanged(current); });
    connect(m_table, &QTableView::activated, this, [this](const QModelIndex &index) {
        const QString stream = index.siblingAtColumn(StreamsModel::StreamColumn).data().toString();
        if (!stream.isEmpty())
            Q_EMIT streamActivated(stream);
    });
    connect(m_eventTable, &QTableView::activated, this, [this](const QModelIndex &index) {
        Q_EMIT revealEventRequested(index.data(EventListModel::PositionRole).toLongLong());
    });
    connect(m_proxy, &QAbstractItemModel::rowsInserted, this, &StreamsView::updateCount);
    connect(m_proxy, &QAbstractItemModel::rowsRemoved, this, &StreamsView::updateCount);
    connect(m_proxy, &QAbstractItemModel::modelReset, this, &StreamsView::updateCount);
    connect(m_proxy, &QAbstractItemModel::layoutChanged, this, &StreamsView::updateCount);
    setSession(nullptr);
}

StreamsView::~StreamsView()
{
    disconnectDescendants(this);
}

void StreamsView::setSession(Session *session)
{
    if (m_session)
        disconnect(m_session, nullptr, this, nullptr);
    m_session = session;
    m_current.clear();
    m_events->setRows({});
    m_eventsTitle->setText(tr("<i>Select a stream to see its latest events.</i>"));
    if (m_session)
        connect(m_session, &Session::eventsAppended, this, &StreamsView::onEventsAppended);
    reload();
}

void StreamsView::reload(const QString &prefix)
{
    m_loadedPrefix = prefix;
    m_truncated = false;
    if (!m_session) {
        m_model->setRows({});
        updateCount();
        return;
    }
    auto streams = m_session->store()->streams(prefix, MaxStreams + 1);
    if (!streams) {
        m_model->setRows({});
        m_count->setText(streams.error().message);
        return;
    }
    QList<StreamInfo> rows = std::move(*streams);
    if (rows.size() > MaxStreams) {
        m_truncated = true;
        rows.resize(MaxStreams);
    }
    m_model->setRows(std::move(rows));
    updateCount();
}

void StreamsView::applyFilter()
{
    const auto mode = StreamsFilterProxy::Mode(m_mode->currentData().toInt());
    const QString text = m_filter->text().trimmed();
    // The model holds at most MaxStreams: a prefix beyond them is asked of the store.
    if (mode == StreamsFilterProxy::Mode::Prefix && !text.isEmpty()) {
        if (m_truncated || !text.startsWith(m_loadedPrefix))
            reload(text);
    } else if (!m_loadedPrefix.isEmpty()) {
        reload();
    }
    m_proxy->setFilter(text, mode);
    updateCount();
}

void StreamsView::updateCount()
{
    if (!m_session) {
        m_count->setText(tr("No store is open."));
        return;
    }
    const int total = m_model->rowCount();
    const int shown = m_proxy->rowCount();
    QString text = shown == total ? (total == 1 ? tr("1 stream") : tr("%1 streams").arg(total)) : tr("%1 of %2 streams").arg(shown).arg(total);
    if (m_truncated)
        text += u' ' + tr("(the first %1 only: use “starts with” to search the whole store)").arg(MaxStreams);
    m_count->setText(text);
}

void StreamsView::onEventsAppended(const EventList &events)
{
    if (!m_session)
        return;
    EventStore *store = m_session->store();
    EventList relevant;
    if (m_loadedPrefix.isEmpty() && !m_truncated) {
        relevant = events;
    } else {
        // A partial list follows the streams it shows, and new ones matching its prefix.
        for (const RecordedEvent &e : events)
            if (m_model->rowOf(e.stream) >= 0 || (!m_loadedPrefix.isEmpty() && e.stream.startsWith(m_loadedPrefix)))
                relevant.append(e);
    }
    m_model->applyEvents(relevant, [store](const QString &stream) {
        const auto info = store->streamInfo(stream);
        return info ? info->type : QString();
    });
    if (m_current.isEmpty())
        return;
    EventList mine;
    const qint64 shownVersion = m_events->rows().isEmpty() ? 0 : m_events->rows().constLast().version;
    for (const RecordedEvent &e : events)
        if (e.stream == m_current && e.version > shownVersion)
            mine.append(e);
    if (mine.isEmpty())
        return;
    QScrollBar *bar = m_eventTable->verticalScrollBar();
    const bool atEnd = bar->value() == bar->maximum();
    m_events->appendRows(mine);
    if (atEnd)
        m_eventTable->scrollToBottom();
    const int row = m_model->rowOf(m_current);
    if (row >= 0)
        m_eventsTitle->setText(tr("<b>%1</b> (%2): version %3")
                                   .arg(m_current.toHtmlEscaped(), m_model->rowAt(row).type.toHtmlEscaped())
                                   .arg(m_model->rowAt(row).version));
}

void StreamsView::onCurrentChanged(const QModelIndex &current)
{
    const QString stream = current.siblingAtColumn(StreamsModel::StreamColumn).data().toString();
    if (stream.isEmpty() || stream == m_current)
        return;
    showStreamEvents(stream);
    if (!m_programmatic)
        Q_EMIT streamActivated(stream);
}

void StreamsView::showStreamEvents(const QString &stream)
{
    m_current = stream;
    if (!m_session)
        return;
    const int row = m_model->rowOf(stream);
    const qint64 version = row >= 0 ? m_model->rowAt(row).version : 0;
    auto events = m_session->store()->readStream(stream, qMax<qint64>(1, version - MaxEvents + 1));
    if (!events) {
        m_events->setRows({});
        m_eventsTitle->setText(events.error().message.toHtmlEscaped());
        return;
    }
    const qint64 last = events->isEmpty() ? 0 : events->constLast().version;
    QString title = tr("<b>%1</b> (%2): version %3")
                        .arg(stream.toHtmlEscaped(), row >= 0 ? m_model->rowAt(row).type.toHtmlEscaped() : QString())
                        .arg(last);
    if (!events->isEmpty() && events->constFirst().version > 1)
        title += u' ' + tr("<i>(the latest %1 events)</i>").arg(events->size());
    m_eventsTitle->setText(title);
    m_events->setRows(std::move(*events));
    m_eventTable->scrollToBottom();
}

void StreamsView::selectStream(const QString &stream)
{
    if (!m_session || stream.isEmpty())
        return;
    if (m_model->rowOf(stream) < 0) {
        if (!m_truncated && m_loadedPrefix.isEmpty())
            return; // every stream is loaded: it does not exist (yet)
        // Not loaded (a partial list): load the streams with its id as prefix.
        const QSignalBlocker block(m_mode);
        m_mode->setCurrentIndex(m_mode->findData(int(StreamsFilterProxy::Mode::Prefix)));
        m_filter->blockSignals(true);
        m_filter->setText(stream);
        m_filter->blockSignals(false);
        reload(stream);
        m_proxy->setFilter(stream, StreamsFilterProxy::Mode::Prefix);
    }
    const int row = m_model->rowOf(stream);
    if (row < 0)
        return;
    QModelIndex proxyIndex = m_proxy->mapFromSource(m_model->index(row, StreamsModel::StreamColumn));
    if (!proxyIndex.isValid()) {
        // Hidden by the filter: clear it rather than show nothing.
        m_filter->clear();
        proxyIndex = m_proxy->mapFromSource(m_model->index(row, StreamsModel::StreamColumn));
    }
    m_programmatic = true;
    m_table->setCurrentIndex(proxyIndex);
    m_programmatic = false;
    m_table->scrollTo(proxyIndex);
    if (m_current != stream)
        showStreamEvents(stream);
}

} // namespace es
