#pragma once

#include "types.h"

#include <QPointer>
#include <QWidget>

class QComboBox;
class QLabel;
class QLineEdit;
class QModelIndex;
class QTableView;

namespace es {

class EventListModel;
class Session;
class StreamsFilterProxy;
class StreamsModel;

// The streams of the open store (id, type, version, last activity) with a
// filter, following appends live; the selected stream's latest events below.
class StreamsView : public QWidget {
    Q_OBJECT
public:
    // Streams loaded at once; beyond, a prefix filter asks the store.
    static constexpr int MaxStreams = 20000;
    // Latest events listed for the selected stream.
    static constexpr int MaxEvents = 200;

    explicit StreamsView(QWidget *parent = nullptr);
    ~StreamsView() override;

    void setSession(es::Session *session);
    QString currentStream() const { return m_current; }

    StreamsModel *streamsModel() const { return m_model; }
    StreamsFilterProxy *proxy() const { return m_proxy; }
    EventListModel *eventsModel() const { return m_events; }

public Q_SLOTS:
    // Selects (and scrolls to) a stream without emitting streamActivated.
    void selectStream(const QString &stream);

Q_SIGNALS:
    void streamActivated(const QString &stream);
    void revealEventRequested(qint64 position);

private:
    void reload(const QString &prefix = {});
    void applyFilter();
    void onEventsAppended(const es::EventList &events);
    void onCurrentChanged(const QModelIndex &current);
    void showStreamEvents(const QString &stream);
    void updateCount();

    QPointer<Session> m_session;
    StreamsModel *m_model;
    StreamsFilterProxy *m_proxy;
    EventListModel *m_events;
    QLineEdit *m_filter;
    QComboBox *m_mode;
    QLabel *m_count;
    QTableView *m_table;
    QLabel *m_eventsTitle;
    QTableView *m_eventTable;
    QString m_current;
    QString m_loadedPrefix;
    bool m_truncated = false;
    bool m_programmatic = false;
};

} // namespace es
