#include "storeoverview.h"

#include "eventstore.h"

#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace es {

namespace {
constexpr int MaxRows = 500;
}

StoreOverview::StoreOverview(QWidget *parent)
    : QWidget(parent)
    , m_summary(new QLabel(this))
    , m_table(new QTableWidget(0, 6, this))
{
    auto *layout = new QVBoxLayout(this);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_summary);
    m_table->setHorizontalHeaderLabels({tr("Position"), tr("Time (UTC)"), tr("Stream"), tr("Version"), tr("Type"),
                                        tr("Data")});
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->verticalHeader()->hide();
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setAlternatingRowColors(true);
    layout->addWidget(m_table);
    setStore(nullptr);
}

void StoreOverview::setStore(EventStore *store)
{
    if (m_store)
        disconnect(m_store, nullptr, this, nullptr);
    m_store = store;
    if (m_store)
        connect(m_store, &EventStore::eventsAppended, this, &StoreOverview::appendEvents);
    reload();
}

void StoreOverview::reload()
{
    m_table->setRowCount(0);
    if (!m_store) {
        m_summary->setText(tr("No store open. Use File ▸ Open Demo Store to see one."));
        return;
    }
    const qint64 head = m_store->headPosition();
    m_summary->setText(tr("<b>%1</b> — head position %2%3")
                           .arg(m_store->path().toHtmlEscaped())
                           .arg(head)
                           .arg(m_store->isReadOnly() ? tr(" — read-only") : QString()));
    EventQuery q;
    q.backward = true;
    q.limit = MaxRows;
    auto events = m_store->query(q);
    if (!events)
        return;
    EventList ordered(events->crbegin(), events->crend());
    appendEvents(ordered);
}

void StoreOverview::appendEvents(const EventList &events)
{
    for (const RecordedEvent &e : events) {
        m_table->insertRow(0);
        const QStringList cells = {QString::number(e.position), e.recordedIso(), e.stream, QString::number(e.version),
                                   e.type, QString::fromUtf8(e.data)};
        for (int c = 0; c < cells.size(); ++c)
            m_table->setItem(0, c, new QTableWidgetItem(cells[c]));
    }
    while (m_table->rowCount() > MaxRows)
        m_table->removeRow(m_table->rowCount() - 1);
    m_table->resizeColumnsToContents();
    if (m_store && !events.isEmpty())
        m_summary->setText(tr("<b>%1</b> — head position %2%3")
                               .arg(m_store->path().toHtmlEscaped())
                               .arg(events.constLast().position)
                               .arg(m_store->isReadOnly() ? tr(" — read-only") : QString()));
}

} // namespace es
