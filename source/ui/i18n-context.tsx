import { createContext, type ReactNode, useContext } from 'react';
import { createTranslator, type Lang, type Translate } from '../i18n/index.js';

const TranslateContext = createContext<Translate>(createTranslator('en'));

export function I18nProvider({ lang, children }: { lang: Lang; children: ReactNode }) {
	return <TranslateContext.Provider value={createTranslator(lang)}>{children}</TranslateContext.Provider>;
}

export function useT(): Translate {
	return useContext(TranslateContext);
}
