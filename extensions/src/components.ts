import type { ExtensionModule } from '@parley/ext';
import { componentRepo } from '@parley/store';
import { xml } from '@parley/xml';

/**
 * XEP-0114 external components in the server's disco#items (XEP-0030 §4), as Prosody lists its
 * `Component` hosts and ejabberd its `ejabberd_service` routes: every registered component
 * (`parley component add`), connected or not, so a client can find the gateway to ask it.
 */
export const components: ExtensionModule = {
  name: 'components',
  specs: ['XEP-0114'],
  session: {
    discoNodes: {
      async items(ctx, node) {
        if (node !== undefined || ctx.to.local !== null) return undefined;
        const rows = await componentRepo(ctx.env.store.sql).list();
        return rows.map((c) => xml('item', { jid: c.domain }));
      },
    },
  },
};
