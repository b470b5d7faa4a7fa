#pragma once

#include <QJsonObject>
#include <QWidget>

class QLabel;
class QSlider;
class QSpinBox;
class QTreeWidget;
class QTreeWidgetItem;

namespace es {

class Session;

// "Replay aggregate to here": an aggregate's state at a stream version, with a
// slider over its versions and the keys the event at the cursor changed
// highlighted. (The full time-travel view grows from this.)
class ReplayView : public QWidget {
    Q_OBJECT
public:
    explicit ReplayView(QWidget *parent = nullptr);

    void setSession(es::Session *session);
    QString stream() const { return m_stream; }
    qint64 version() const;
    QJsonObject state() const { return m_state; }

public Q_SLOTS:
    void showReplay(const QString &stream, qint64 version);

private:
    void replayTo(qint64 version);
    void fill(QTreeWidgetItem *parent, const QString &key, const QJsonValue &value, const QJsonValue &before,
              const QString &path);

    Session *m_session = nullptr;
    QString m_stream;
    QJsonObject m_state;
    QLabel *m_title;
    QLabel *m_info;
    QSlider *m_slider;
    QSpinBox *m_version;
    QTreeWidget *m_tree;
};

} // namespace es
