/** Every workflow the tests run: the product's and the harness smoke workflow, bundled once per test run. */
export * from '../../workflows';
export * from './smoke-workflows';
