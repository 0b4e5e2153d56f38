/**
 * The words a chat user reads: reply labels and progress lines, one table per
 * REPLY_LANGUAGE. API error `message`s stay English (clients and logs parse
 * them); only text shown inside a reply or stream is translated.
 */

export const LANGUAGES = ["en", "zh-cn", "zh-hant", "ja", "es", "fr", "ru", "de"] as const;
export type Language = (typeof LANGUAGES)[number];

const en = {
  originalPrompt: "Original prompt",
  promptModel: "Prompt model",
  noPromptModel: "original prompt",
  promptUsed: "Prompt used",
  size: "Size",
  ratioMapped: "{ratio} is not a supported ratio; used the nearest, {nearest}",
  fixedSize: "{model} always makes {width}×{height}",
  seed: "Seed",
  seedUnsupported: "{model} takes no seed, so this picture cannot be repeated exactly",
  success: "Image generated successfully!",
  imageAlt: "Generated image",
  optimizing: "Optimising the prompt with {model}…",
  optimized: "Optimised prompt: {prompt}",
  optimizeFailed: "Prompt optimisation failed ({reason}); using the original prompt.",
  generating: "Generating {width}×{height} with {model}…",
  retrying: "The image service is busy; retrying ({attempt} of {max})…",
  storing: "Storing the image…",
  failed: "Image generation failed: {reason}",
  suggestOptimization:
    'Tip: Flux follows English prompts best. Set PROMPT_OPTIMIZATION to "true" to have prompts translated and improved.',
  errorContentFilter: "the prompt was flagged by the safety filter. Please rephrase it.",
  errorTimeout: "the image service did not answer in time. Please try again.",
  errorCapacity: "the image service is out of capacity right now. Please try again in a minute.",
  errorQuota: "the daily free Workers AI allocation is used up. It resets at 00:00 UTC, or upgrade to Workers Paid.",
  errorUpstreamAuth:
    "the Cloudflare credentials were refused. The operator should check CF_API_TOKEN and CF_ACCOUNT_ID.",
  errorUpstream: "the image service returned an unusable answer. Please try again.",
  errorGeneric: "an unexpected error occurred. Please try again.",
  errorUnreachable: "the image service could not be reached. Please try again.",
  errorRateLimited: "the image service's rate limit was reached. Please wait a minute and try again.",
  errorTooLarge: "the prompt is too long for the model. Please shorten it.",
  errorModelMissing: "this Cloudflare account does not offer the model. The operator should check FLUX_MODEL.",
  errorStorage: "the image could not be stored. Please try again.",
  errorInterrupted: "the generation was interrupted before it finished. Please try again.",
};

export type MessageKey = keyof typeof en;
export type StringTable = Record<MessageKey, string>;

// Simplified Chinese: the labels follow the original Flux-API-Worker's, which its users know.
const zhCn: StringTable = {
  originalPrompt: "原始提示词",
  promptModel: "提示词生成模型",
  noPromptModel: "原始提示词",
  promptUsed: "使用的提示词",
  size: "图像规格",
  ratioMapped: "不支持 {ratio} 比例，已改用最接近的 {nearest}",
  fixedSize: "{model} 固定生成 {width}×{height} 的图像",
  seed: "随机种子",
  seedUnsupported: "{model} 不支持随机种子，无法精确重现这张图片",
  success: "图像生成成功！",
  imageAlt: "生成的图像",
  optimizing: "正在使用 {model} 优化提示词…",
  optimized: "优化后的提示词：{prompt}",
  optimizeFailed: "提示词优化失败（{reason}），将使用原始提示词。",
  generating: "正在使用 {model} 生成 {width}×{height} 的图像…",
  retrying: "图像服务繁忙，正在重试（第 {attempt} 次，共 {max} 次）…",
  storing: "正在保存图像…",
  failed: "图像生成失败：{reason}",
  suggestOptimization:
    '提示：Flux 对英文提示词的理解最好。将 PROMPT_OPTIMIZATION 设为 "true"，即可自动翻译并优化提示词。',
  errorContentFilter: "提示词被安全过滤器拦截，请换一种说法。",
  errorTimeout: "图像服务未能及时响应，请重试。",
  errorCapacity: "图像服务当前算力不足，请一分钟后再试。",
  errorQuota: "今日的 Workers AI 免费额度已用完，将于 UTC 00:00 重置；也可以升级到 Workers Paid 付费计划。",
  errorUpstreamAuth: "Cloudflare 拒绝了所配置的凭据，请管理员检查 CF_API_TOKEN 和 CF_ACCOUNT_ID。",
  errorUpstream: "图像服务返回了无法使用的结果，请重试。",
  errorGeneric: "发生了意外错误，请重试。",
  errorUnreachable: "无法连接到图像服务，请重试。",
  errorRateLimited: "已达到图像服务的速率限制，请等一分钟后再试。",
  errorTooLarge: "提示词对该模型来说太长，请缩短后再试。",
  errorModelMissing: "该 Cloudflare 账号无法使用此模型，请管理员检查 FLUX_MODEL。",
  errorStorage: "图像保存失败，请重试。",
  errorInterrupted: "生成在完成前被中断，请重试。",
};

// Traditional Chinese, with the vocabulary used in Taiwan and Hong Kong (儲存, 憑證, 伺服器…).
const zhHant: StringTable = {
  originalPrompt: "原始提示詞",
  promptModel: "提示詞生成模型",
  noPromptModel: "原始提示詞",
  promptUsed: "使用的提示詞",
  size: "圖像規格",
  ratioMapped: "不支援 {ratio} 比例，已改用最接近的 {nearest}",
  fixedSize: "{model} 固定產生 {width}×{height} 的圖像",
  seed: "隨機種子",
  seedUnsupported: "{model} 不支援隨機種子，無法精確重現這張圖片",
  success: "圖像生成成功！",
  imageAlt: "生成的圖像",
  optimizing: "正在使用 {model} 最佳化提示詞…",
  optimized: "最佳化後的提示詞：{prompt}",
  optimizeFailed: "提示詞最佳化失敗（{reason}），將使用原始提示詞。",
  generating: "正在使用 {model} 生成 {width}×{height} 的圖像…",
  retrying: "圖像服務忙碌中，正在重試（第 {attempt} 次，共 {max} 次）…",
  storing: "正在儲存圖像…",
  failed: "圖像生成失敗：{reason}",
  suggestOptimization:
    '提示：Flux 對英文提示詞的理解最好。將 PROMPT_OPTIMIZATION 設為 "true"，即可自動翻譯並最佳化提示詞。',
  errorContentFilter: "提示詞遭安全過濾器攔截，請換個說法。",
  errorTimeout: "圖像服務未能及時回應，請再試一次。",
  errorCapacity: "圖像服務目前運算資源不足，請一分鐘後再試。",
  errorQuota: "今日的 Workers AI 免費額度已用完，將於 UTC 00:00 重設；也可以升級至 Workers Paid 付費方案。",
  errorUpstreamAuth: "Cloudflare 拒絕了所設定的憑證，請管理員檢查 CF_API_TOKEN 和 CF_ACCOUNT_ID。",
  errorUpstream: "圖像服務傳回了無法使用的結果，請再試一次。",
  errorGeneric: "發生未預期的錯誤，請再試一次。",
  errorUnreachable: "無法連線到圖像服務，請再試一次。",
  errorRateLimited: "已達到圖像服務的速率限制，請稍候一分鐘再試。",
  errorTooLarge: "提示詞對此模型而言太長，請縮短後再試。",
  errorModelMissing: "此 Cloudflare 帳戶無法使用這個模型，請管理員檢查 FLUX_MODEL。",
  errorStorage: "無法儲存圖像，請再試一次。",
  errorInterrupted: "生成在完成前遭到中斷，請再試一次。",
};

const ja: StringTable = {
  originalPrompt: "元のプロンプト",
  promptModel: "プロンプト生成モデル",
  noPromptModel: "元のプロンプト",
  promptUsed: "使用したプロンプト",
  size: "画像サイズ",
  ratioMapped: "{ratio} は対応していない比率のため、最も近い {nearest} を使用しました",
  fixedSize: "{model} は常に {width}×{height} で生成します",
  seed: "シード",
  seedUnsupported: "{model} はシードを受け付けないため、この画像を正確に再現することはできません",
  success: "画像を生成しました！",
  imageAlt: "生成された画像",
  optimizing: "{model} でプロンプトを最適化しています…",
  optimized: "最適化されたプロンプト：{prompt}",
  optimizeFailed: "プロンプトの最適化に失敗しました（{reason}）。元のプロンプトを使用します。",
  generating: "{model} で {width}×{height} の画像を生成しています…",
  retrying: "画像サービスが混み合っています。再試行しています（{attempt}/{max} 回目）…",
  storing: "画像を保存しています…",
  failed: "画像の生成に失敗しました：{reason}",
  suggestOptimization:
    'ヒント：Flux は英語のプロンプトに最もよく従います。PROMPT_OPTIMIZATION を "true" に設定すると、プロンプトが自動で翻訳・改善されます。',
  errorContentFilter: "プロンプトが安全フィルターによってブロックされました。表現を変えてお試しください。",
  errorTimeout: "画像サービスから時間内に応答がありませんでした。もう一度お試しください。",
  errorCapacity: "画像サービスは現在混雑しています。1 分ほど待ってからもう一度お試しください。",
  errorQuota:
    "Workers AI の 1 日あたりの無料枠を使い切りました。UTC 0:00 にリセットされます。Workers Paid へのアップグレードも可能です。",
  errorUpstreamAuth:
    "Cloudflare の認証情報が拒否されました。管理者は CF_API_TOKEN と CF_ACCOUNT_ID を確認してください。",
  errorUpstream: "画像サービスから利用できない応答が返されました。もう一度お試しください。",
  errorGeneric: "予期しないエラーが発生しました。もう一度お試しください。",
  errorUnreachable: "画像サービスに接続できませんでした。もう一度お試しください。",
  errorRateLimited: "画像サービスのレート制限に達しました。1 分ほど待ってからもう一度お試しください。",
  errorTooLarge: "プロンプトがこのモデルには長すぎます。短くしてください。",
  errorModelMissing:
    "この Cloudflare アカウントではこのモデルを利用できません。管理者は FLUX_MODEL を確認してください。",
  errorStorage: "画像を保存できませんでした。もう一度お試しください。",
  errorInterrupted: "生成が完了する前に中断されました。もう一度お試しください。",
};

const es: StringTable = {
  originalPrompt: "Prompt original",
  promptModel: "Modelo del prompt",
  noPromptModel: "prompt original",
  promptUsed: "Prompt utilizado",
  size: "Tamaño",
  ratioMapped: "{ratio} no es una proporción admitida; se usó la más cercana, {nearest}",
  fixedSize: "{model} siempre genera {width}×{height}",
  seed: "Semilla",
  seedUnsupported: "{model} no admite semilla, así que esta imagen no se puede repetir exactamente",
  success: "¡Imagen generada correctamente!",
  imageAlt: "Imagen generada",
  optimizing: "Optimizando el prompt con {model}…",
  optimized: "Prompt optimizado: {prompt}",
  optimizeFailed: "No se pudo optimizar el prompt ({reason}); se usará el prompt original.",
  generating: "Generando una imagen de {width}×{height} con {model}…",
  retrying: "El servicio de imágenes está ocupado; reintentando ({attempt} de {max})…",
  storing: "Guardando la imagen…",
  failed: "No se pudo generar la imagen: {reason}",
  suggestOptimization:
    'Consejo: Flux entiende mejor los prompts en inglés. Establece PROMPT_OPTIMIZATION en "true" para que los prompts se traduzcan y mejoren automáticamente.',
  errorContentFilter: "el filtro de seguridad ha bloqueado el prompt. Reformúlalo, por favor.",
  errorTimeout: "el servicio de imágenes no respondió a tiempo. Inténtalo de nuevo.",
  errorCapacity:
    "el servicio de imágenes no tiene capacidad disponible en este momento. Vuelve a intentarlo dentro de un minuto.",
  errorQuota:
    "se ha agotado la asignación gratuita diaria de Workers AI. Se restablece a las 00:00 UTC; también puedes pasarte a Workers Paid.",
  errorUpstreamAuth:
    "Cloudflare ha rechazado las credenciales. El administrador debe revisar CF_API_TOKEN y CF_ACCOUNT_ID.",
  errorUpstream: "el servicio de imágenes devolvió una respuesta inservible. Inténtalo de nuevo.",
  errorGeneric: "se ha producido un error inesperado. Inténtalo de nuevo.",
  errorUnreachable: "no se pudo contactar con el servicio de imágenes. Inténtalo de nuevo.",
  errorRateLimited:
    "se ha alcanzado el límite de peticiones del servicio de imágenes. Espera un minuto e inténtalo de nuevo.",
  errorTooLarge: "el prompt es demasiado largo para el modelo. Acórtalo, por favor.",
  errorModelMissing: "esta cuenta de Cloudflare no ofrece el modelo. El administrador debe revisar FLUX_MODEL.",
  errorStorage: "no se pudo guardar la imagen. Inténtalo de nuevo.",
  errorInterrupted: "la generación se interrumpió antes de terminar. Inténtalo de nuevo.",
};

const fr: StringTable = {
  originalPrompt: "Prompt d'origine",
  promptModel: "Modèle du prompt",
  noPromptModel: "prompt d'origine",
  promptUsed: "Prompt utilisé",
  size: "Taille",
  ratioMapped: "le format {ratio} n'est pas pris en charge ; le plus proche, {nearest}, a été utilisé",
  fixedSize: "{model} produit toujours du {width}×{height}",
  seed: "Graine",
  seedUnsupported: "{model} n’accepte pas de graine : cette image ne peut pas être reproduite à l’identique",
  success: "Image générée avec succès !",
  imageAlt: "Image générée",
  optimizing: "Optimisation du prompt avec {model}…",
  optimized: "Prompt optimisé : {prompt}",
  optimizeFailed: "L'optimisation du prompt a échoué ({reason}) ; le prompt d'origine est utilisé.",
  generating: "Génération d'une image {width}×{height} avec {model}…",
  retrying: "Le service d'images est surchargé ; nouvelle tentative ({attempt} sur {max})…",
  storing: "Enregistrement de l'image…",
  failed: "Échec de la génération de l'image : {reason}",
  suggestOptimization:
    'Astuce : Flux suit mieux les prompts en anglais. Réglez PROMPT_OPTIMIZATION sur "true" pour que les prompts soient traduits et améliorés automatiquement.',
  errorContentFilter: "le prompt a été bloqué par le filtre de sécurité. Veuillez le reformuler.",
  errorTimeout: "le service d'images n'a pas répondu à temps. Veuillez réessayer.",
  errorCapacity: "le service d'images est saturé pour le moment. Veuillez réessayer dans une minute.",
  errorQuota:
    "le quota gratuit quotidien de Workers AI est épuisé. Il est réinitialisé à 00:00 UTC ; vous pouvez aussi passer à Workers Paid.",
  errorUpstreamAuth:
    "Cloudflare a refusé les identifiants. L'administrateur doit vérifier CF_API_TOKEN et CF_ACCOUNT_ID.",
  errorUpstream: "le service d'images a renvoyé une réponse inutilisable. Veuillez réessayer.",
  errorGeneric: "une erreur inattendue s'est produite. Veuillez réessayer.",
  errorUnreachable: "le service d'images est injoignable. Veuillez réessayer.",
  errorRateLimited:
    "la limite de requêtes du service d'images est atteinte. Veuillez patienter une minute puis réessayer.",
  errorTooLarge: "le prompt est trop long pour le modèle. Veuillez le raccourcir.",
  errorModelMissing: "ce compte Cloudflare ne propose pas le modèle. L'administrateur doit vérifier FLUX_MODEL.",
  errorStorage: "l'image n'a pas pu être enregistrée. Veuillez réessayer.",
  errorInterrupted: "la génération a été interrompue avant la fin. Veuillez réessayer.",
};

const ru: StringTable = {
  originalPrompt: "Исходный промпт",
  promptModel: "Модель для промпта",
  noPromptModel: "исходный промпт",
  promptUsed: "Использованный промпт",
  size: "Размер",
  ratioMapped: "соотношение {ratio} не поддерживается; использовано ближайшее — {nearest}",
  fixedSize: "{model} всегда создаёт изображения {width}×{height}",
  seed: "Сид",
  seedUnsupported: "{model} не принимает сид, поэтому точно повторить это изображение нельзя",
  success: "Изображение успешно создано!",
  imageAlt: "Сгенерированное изображение",
  optimizing: "Оптимизация промпта с помощью {model}…",
  optimized: "Оптимизированный промпт: {prompt}",
  optimizeFailed: "Не удалось оптимизировать промпт ({reason}); используется исходный промпт.",
  generating: "Генерация изображения {width}×{height} с помощью {model}…",
  retrying: "Сервис изображений перегружен; повторная попытка ({attempt} из {max})…",
  storing: "Сохранение изображения…",
  failed: "Не удалось создать изображение: {reason}",
  suggestOptimization:
    'Совет: Flux лучше всего понимает промпты на английском. Установите PROMPT_OPTIMIZATION в "true", чтобы промпты автоматически переводились и улучшались.',
  errorContentFilter: "промпт заблокирован фильтром безопасности. Пожалуйста, переформулируйте его.",
  errorTimeout: "сервис изображений не ответил вовремя. Попробуйте ещё раз.",
  errorCapacity: "сервис изображений сейчас перегружен. Попробуйте ещё раз через минуту.",
  errorQuota:
    "дневной бесплатный лимит Workers AI исчерпан. Он обновляется в 00:00 UTC; также можно перейти на тариф Workers Paid.",
  errorUpstreamAuth:
    "Cloudflare отклонил учётные данные. Администратору следует проверить CF_API_TOKEN и CF_ACCOUNT_ID.",
  errorUpstream: "сервис изображений вернул непригодный ответ. Попробуйте ещё раз.",
  errorGeneric: "произошла непредвиденная ошибка. Попробуйте ещё раз.",
  errorUnreachable: "не удалось связаться с сервисом изображений. Попробуйте ещё раз.",
  errorRateLimited: "достигнут лимит запросов к сервису изображений. Подождите минуту и попробуйте ещё раз.",
  errorTooLarge: "промпт слишком длинный для этой модели. Пожалуйста, сократите его.",
  errorModelMissing: "этот аккаунт Cloudflare не предоставляет модель. Администратору следует проверить FLUX_MODEL.",
  errorStorage: "не удалось сохранить изображение. Попробуйте ещё раз.",
  errorInterrupted: "генерация прервалась, не завершившись. Попробуйте ещё раз.",
};

const de: StringTable = {
  originalPrompt: "Ursprünglicher Prompt",
  promptModel: "Prompt-Modell",
  noPromptModel: "ursprünglicher Prompt",
  promptUsed: "Verwendeter Prompt",
  size: "Größe",
  ratioMapped: "{ratio} ist kein unterstütztes Seitenverhältnis; verwendet wurde das nächstliegende, {nearest}",
  fixedSize: "{model} erzeugt immer {width}×{height}",
  seed: "Startwert",
  seedUnsupported: "{model} nimmt keinen Startwert (Seed) an, daher lässt sich dieses Bild nicht exakt wiederholen",
  success: "Bild erfolgreich erstellt!",
  imageAlt: "Erzeugtes Bild",
  optimizing: "Optimiere den Prompt mit {model}…",
  optimized: "Optimierter Prompt: {prompt}",
  optimizeFailed: "Prompt-Optimierung fehlgeschlagen ({reason}); der ursprüngliche Prompt wird verwendet.",
  generating: "Erzeuge ein {width}×{height}-Bild mit {model}…",
  retrying: "Der Bilddienst ist ausgelastet; neuer Versuch ({attempt} von {max})…",
  storing: "Speichere das Bild…",
  failed: "Bilderzeugung fehlgeschlagen: {reason}",
  suggestOptimization:
    'Tipp: Flux folgt englischen Prompts am besten. Setzen Sie PROMPT_OPTIMIZATION auf "true", damit Prompts automatisch übersetzt und verbessert werden.',
  errorContentFilter: "Der Prompt wurde vom Sicherheitsfilter blockiert. Bitte formulieren Sie ihn um.",
  errorTimeout: "Der Bilddienst hat nicht rechtzeitig geantwortet. Bitte versuchen Sie es erneut.",
  errorCapacity: "Der Bilddienst ist gerade ausgelastet. Bitte versuchen Sie es in einer Minute erneut.",
  errorQuota:
    "Das tägliche Gratiskontingent von Workers AI ist aufgebraucht. Es wird um 00:00 UTC zurückgesetzt; alternativ können Sie auf Workers Paid upgraden.",
  errorUpstreamAuth:
    "Cloudflare hat die Zugangsdaten abgelehnt. Der Betreiber sollte CF_API_TOKEN und CF_ACCOUNT_ID prüfen.",
  errorUpstream: "Der Bilddienst hat eine unbrauchbare Antwort geliefert. Bitte versuchen Sie es erneut.",
  errorGeneric: "Ein unerwarteter Fehler ist aufgetreten. Bitte versuchen Sie es erneut.",
  errorUnreachable: "Der Bilddienst war nicht erreichbar. Bitte versuchen Sie es erneut.",
  errorRateLimited:
    "Das Anfragelimit des Bilddienstes ist erreicht. Bitte warten Sie eine Minute und versuchen Sie es erneut.",
  errorTooLarge: "Der Prompt ist für das Modell zu lang. Bitte kürzen Sie ihn.",
  errorModelMissing: "Dieses Cloudflare-Konto bietet das Modell nicht an. Der Betreiber sollte FLUX_MODEL prüfen.",
  errorStorage: "Das Bild konnte nicht gespeichert werden. Bitte versuchen Sie es erneut.",
  errorInterrupted: "Die Generierung wurde vor ihrem Ende unterbrochen. Bitte versuchen Sie es erneut.",
};

/** Every language's table; a test checks that none misses a key or drops a placeholder. */
export const STRINGS: Record<Language, StringTable> = {
  en,
  "zh-cn": zhCn,
  "zh-hant": zhHant,
  ja,
  es,
  fr,
  ru,
  de,
};
