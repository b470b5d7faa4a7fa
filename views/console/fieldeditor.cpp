#include "fieldeditor.h"

#include "common/jsonerror.h"
#include "common/teardown.h"

#include <QCheckBox>
#include <QComboBox>
#include <QCompleter>
#include <QDateTimeEdit>
#include <QFontDatabase>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QRegularExpressionValidator>
#include <QSpinBox>
#include <QVBoxLayout>

#include <cmath>
#include <limits>

using namespace Qt::StringLiterals;

namespace es {

namespace {
constexpr int IntLowest = std::numeric_limits<int>::min() + 1; // one below stays free for "(not set)"
constexpr int IntHighest = std::numeric_limits<int>::max();

int clampToInt(double v)
{
    if (v <= double(IntLowest))
        return IntLowest;
    if (v >= double(IntHighest))
        return IntHighest;
    return int(v);
}

QString number(double v)
{
    return QString::number(v, 'g', 15);
}

QDateTime unsetDateTime()
{
    return QDateTime(QDate(1970, 1, 1), QTime(0, 0), Qt::UTC);
}
} // namespace

FieldEditor::FieldEditor(const FieldSpec &spec, QWidget *parent)
    : QWidget(parent)
    , m_spec(spec)
    , m_errorLabel(new QLabel(this))
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    const QString type = spec.type;
    const QString hint = constraints(spec);
    QString placeholder;
    if (!spec.examples.isEmpty())
        placeholder = tr("e.g. %1").arg(spec.examples.first().toVariant().toString());
    else if (!spec.description.isEmpty())
        placeholder = spec.description;

    if (type == u"number") {
        auto *e = new QLineEdit(this);
        // Number-shaped text only; ranges are the validator's job, with a message.
        e->setValidator(new QRegularExpressionValidator(
            QRegularExpression(u"-?(\\d+\\.?\\d*|\\.\\d+)?([eE][-+]?\\d*)?"_s), e));
        e->setPlaceholderText(placeholder.isEmpty() ? hint : placeholder);
        connect(e, &QLineEdit::textEdited, this, &FieldEditor::edited);
        setEditor(e);
    } else if (type == u"integer") {
        auto *e = new QSpinBox(this);
        const int lo = spec.min ? clampToInt(std::ceil(*spec.min)) : IntLowest;
        const int hi = spec.max ? clampToInt(std::floor(*spec.max)) : IntHighest;
        if (spec.required) {
            e->setRange(lo, qMax(lo, hi));
            e->setValue(qBound(lo, 0, qMax(lo, hi)));
        } else {
            // The value just below the range stands for "not set".
            e->setRange(lo - 1, qMax(lo, hi));
            e->setSpecialValueText(tr("(not set)"));
            e->setValue(lo - 1);
        }
        connect(e, &QSpinBox::valueChanged, this, &FieldEditor::edited);
        setEditor(e);
    } else if (type == u"boolean") {
        auto *e = new QCheckBox(spec.description.isEmpty() ? tr("yes") : spec.description, this);
        connect(e, &QCheckBox::toggled, this, &FieldEditor::edited);
        setEditor(e);
    } else if (type == u"enum") {
        auto *e = new QComboBox(this);
        if (!spec.required)
            e->addItem(tr("(not set)"));
        for (const QString &v : spec.values)
            e->addItem(v, v);
        connect(e, &QComboBox::currentIndexChanged, this, &FieldEditor::edited);
        setEditor(e);
    } else if (type == u"datetime") {
        auto *e = new QDateTimeEdit(this);
        e->setTimeSpec(Qt::UTC);
        e->setDisplayFormat(u"yyyy-MM-dd HH:mm:ss 'UTC'"_s);
        e->setCalendarPopup(true);
        if (spec.required) {
            QDateTime now = QDateTime::currentDateTimeUtc();
            now.setTime(QTime(now.time().hour(), now.time().minute(), now.time().second()));
            e->setDateTime(now);
        } else {
            e->setMinimumDateTime(unsetDateTime());
            e->setSpecialValueText(tr("(not set)"));
            e->setDateTime(unsetDateTime());
        }
        connect(e, &QDateTimeEdit::dateTimeChanged, this, &FieldEditor::edited);
        setEditor(e);
    } else if (type == u"object" || type == u"array") {
        auto *e = new QPlainTextEdit(this);
        e->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
        e->setPlaceholderText(type == u"object" ? u"{ \"key\": \"value\" }"_s : u"[ 1, 2, 3 ]"_s);
        e->setTabChangesFocus(true);
        e->setFixedHeight(e->fontMetrics().lineSpacing() * 4 + 10);
        connect(e, &QPlainTextEdit::textChanged, this, &FieldEditor::edited);
        setEditor(e);
    } else {
        // string, and any type this version does not know: text.
        auto *e = new QLineEdit(this);
        if (spec.secret) {
            e->setEchoMode(QLineEdit::Password);
            e->setClearButtonEnabled(false);
        }
        if (spec.maxLength && *spec.maxLength > 0)
            e->setMaxLength(*spec.maxLength);
        e->setPlaceholderText(placeholder.isEmpty() ? hint : placeholder);
        if (!spec.examples.isEmpty() && !spec.secret) {
            QStringList examples;
            for (const QJsonValue &v : spec.examples)
                examples << v.toString();
            auto *completer = new QCompleter(examples, e);
            completer->setCaseSensitivity(Qt::CaseInsensitive);
            completer->setFilterMode(Qt::MatchContains);
            e->setCompleter(completer);
        }
        connect(e, &QLineEdit::textEdited, this, &FieldEditor::edited);
        setEditor(e);
    }
    QString tip = spec.description;
    if (!hint.isEmpty())
        tip += (tip.isEmpty() ? QString() : u"\n"_s) + hint;
    m_editor->setToolTip(tip);

    m_errorLabel->setObjectName(u"error:"_s + spec.name);
    m_errorLabel->setWordWrap(true);
    m_errorLabel->setStyleSheet(u"color: #c62828;"_s);
    m_errorLabel->hide();
    layout->addWidget(m_errorLabel);
}

FieldEditor::~FieldEditor()
{
    disconnectDescendants(this);
}

void FieldEditor::setEditor(QWidget *editor)
{
    m_editor = editor;
    m_editor->setObjectName(u"field:"_s + m_spec.name);
    m_normalPalette = m_editor->palette();
    layout()->addWidget(m_editor);
    setFocusProxy(m_editor);
}

QString FieldEditor::constraints(const FieldSpec &f)
{
    QStringList parts;
    if (f.required)
        parts << tr("required");
    if (f.type == u"number" || f.type == u"integer") {
        parts << (f.type == u"integer" ? tr("whole number") : tr("number"));
        if (f.min)
            parts << tr("at least %1").arg(number(*f.min));
        if (f.max)
            parts << tr("at most %1").arg(number(*f.max));
    } else if (f.type == u"datetime") {
        parts << tr("date and time (UTC)");
    } else if (f.type == u"object" || f.type == u"array") {
        parts << (f.type == u"object" ? tr("JSON object") : tr("JSON array"));
    }
    if (f.minLength)
        parts << tr("at least %1 long").arg(*f.minLength);
    if (f.maxLength)
        parts << tr("at most %1 long").arg(*f.maxLength);
    if (!f.pattern.isEmpty())
        parts << tr("matching %1").arg(f.pattern);
    if (f.secret)
        parts << tr("secret: never stored in clear");
    return parts.join(u" · "_s);
}

QJsonValue FieldEditor::value(QString *inputError) const
{
    if (inputError)
        inputError->clear();
    const QString type = m_spec.type;
    if (type == u"number") {
        const QString text = static_cast<QLineEdit *>(m_editor)->text().trimmed();
        if (text.isEmpty())
            return QJsonValue(QJsonValue::Undefined);
        bool ok = false;
        const double v = QLocale::c().toDouble(text, &ok);
        if (!ok || !std::isfinite(v)) {
            if (inputError)
                *inputError = tr("“%1” is not a number").arg(text);
            return QJsonValue(QJsonValue::Undefined);
        }
        return v;
    }
    if (type == u"integer") {
        const auto *e = static_cast<QSpinBox *>(m_editor);
        if (!m_spec.required && e->value() == e->minimum())
            return QJsonValue(QJsonValue::Undefined);
        return e->value();
    }
    if (type == u"boolean") {
        const bool on = static_cast<QCheckBox *>(m_editor)->isChecked();
        // An optional flag left off is not sent: the domain's default applies.
        if (!on && !m_spec.required)
            return QJsonValue(QJsonValue::Undefined);
        return on;
    }
    if (type == u"enum") {
        const QVariant v = static_cast<QComboBox *>(m_editor)->currentData();
        return v.isValid() ? QJsonValue(v.toString()) : QJsonValue(QJsonValue::Undefined);
    }
    if (type == u"datetime") {
        const auto *e = static_cast<QDateTimeEdit *>(m_editor);
        if (!m_spec.required && e->dateTime() == e->minimumDateTime())
            return QJsonValue(QJsonValue::Undefined);
        return e->dateTime().toUTC().toString(Qt::ISODateWithMs);
    }
    if (type == u"object" || type == u"array") {
        const QString text = static_cast<QPlainTextEdit *>(m_editor)->toPlainText();
        if (text.trimmed().isEmpty())
            return QJsonValue(QJsonValue::Undefined);
        QJsonValue v;
        QString error;
        if (!parseJsonValue(text, &v, &error)) {
            if (inputError)
                *inputError = tr("malformed JSON: %1").arg(error);
            return QJsonValue(QJsonValue::Undefined);
        }
        return v;
    }
    const QString text = static_cast<QLineEdit *>(m_editor)->text();
    return text.isEmpty() ? QJsonValue(QJsonValue::Undefined) : QJsonValue(text);
}

void FieldEditor::setValue(const QJsonValue &v)
{
    const QSignalBlocker block(m_editor);
    const QString type = m_spec.type;
    if (v.isUndefined() || v.isNull()) {
        clearValue();
        return;
    }
    if (type == u"number") {
        static_cast<QLineEdit *>(m_editor)->setText(v.isDouble() ? number(v.toDouble()) : v.toVariant().toString());
    } else if (type == u"integer") {
        static_cast<QSpinBox *>(m_editor)->setValue(clampToInt(v.toDouble()));
    } else if (type == u"boolean") {
        static_cast<QCheckBox *>(m_editor)->setChecked(v.toBool());
    } else if (type == u"enum") {
        auto *e = static_cast<QComboBox *>(m_editor);
        const int i = e->findData(v.toString());
        if (i >= 0)
            e->setCurrentIndex(i);
    } else if (type == u"datetime") {
        const QDateTime dt = QDateTime::fromString(v.toString(), Qt::ISODateWithMs);
        if (dt.isValid())
            static_cast<QDateTimeEdit *>(m_editor)->setDateTime(dt.toUTC());
    } else if (type == u"object" || type == u"array") {
        const QByteArray json = v.isArray() ? QJsonDocument(v.toArray()).toJson(QJsonDocument::Indented)
                                            : QJsonDocument(v.toObject()).toJson(QJsonDocument::Indented);
        static_cast<QPlainTextEdit *>(m_editor)->setPlainText(QString::fromUtf8(json).trimmed());
    } else {
        static_cast<QLineEdit *>(m_editor)->setText(v.isString() ? v.toString() : v.toVariant().toString());
    }
}

void FieldEditor::clearValue()
{
    const QSignalBlocker block(m_editor);
    const QString type = m_spec.type;
    if (type == u"integer") {
        auto *e = static_cast<QSpinBox *>(m_editor);
        e->setValue(m_spec.required ? qBound(e->minimum(), 0, e->maximum()) : e->minimum());
    } else if (type == u"boolean") {
        static_cast<QCheckBox *>(m_editor)->setChecked(false);
    } else if (type == u"enum") {
        static_cast<QComboBox *>(m_editor)->setCurrentIndex(0);
    } else if (type == u"datetime") {
        auto *e = static_cast<QDateTimeEdit *>(m_editor);
        if (!m_spec.required)
            e->setDateTime(e->minimumDateTime());
    } else if (type == u"object" || type == u"array") {
        static_cast<QPlainTextEdit *>(m_editor)->clear();
    } else {
        static_cast<QLineEdit *>(m_editor)->clear();
    }
}

void FieldEditor::setError(const QString &message)
{
    m_error = message;
    m_errorLabel->setText(message);
    m_errorLabel->setVisible(!message.isEmpty());
    m_editor->setProperty("fieldError", message);
    if (message.isEmpty()) {
        m_editor->setPalette(m_normalPalette);
    } else {
        QPalette p = m_normalPalette;
        p.setColor(QPalette::Base, QColor(0xff, 0xeb, 0xee));
        p.setColor(QPalette::Button, QColor(0xff, 0xcd, 0xd2));
        m_editor->setPalette(p);
    }
}

} // namespace es
