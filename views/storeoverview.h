#pragma once

#include "types.h"

#include <QWidget>

class QLabel;
class QTableWidget;

namespace es {

class EventStore;

// The first view: what the store holds and its latest events, updated live.
// (The lazy, windowed timeline replaces the table in the workbench issue.)
class StoreOverview : public QWidget {
    Q_OBJECT
public:
    explicit StoreOverview(QWidget *parent = nullptr);

    void setStore(EventStore *store);

private:
    void reload();
    void appendEvents(const es::EventList &events);

    EventStore *m_store = nullptr;
    QLabel *m_summary;
    QTableWidget *m_table;
};

} // namespace es
